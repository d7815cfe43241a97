// UDP echo server in Go: one goroutine, ReadFromUDPAddrPort / WriteToUDPAddrPort
// (no allocation per datagram). GOMAXPROCS=1 is set by the harness.
// Usage: echo-udp-go 127.0.0.1:PORT; prints "listening on 127.0.0.1:PORT".
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	c, err := net.ListenPacket("udp", os.Args[1])
	if err != nil {
		panic(err)
	}
	fmt.Printf("listening on %s\n", c.LocalAddr())
	u := c.(*net.UDPConn)
	buf := make([]byte, 2048)
	for {
		n, addr, err := u.ReadFromUDPAddrPort(buf)
		if err != nil {
			panic(err)
		}
		u.WriteToUDPAddrPort(buf[:n], addr)
	}
}
