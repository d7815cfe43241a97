// Go net echo server: one goroutine per connection, the way Go code is
// written. Run with GOMAXPROCS=1 (the harness sets it) so it gets one core
// like the others. Usage: echo-go 127.0.0.1:PORT
//
// It answers a "stats" line on stdin with one JSON line (after runtime.GC),
// like bench/servers/stats-hook.ts does for the Node servers: heap figures and
// the lateness of a 10 ms ticker measured inside the server.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

func handle(c net.Conn) {
	defer c.Close()
	// 32 KiB is what io.Copy would use; allocated per connection as
	// idiomatic code does (untouched pages of it cost no RSS).
	buf := make([]byte, 32*1024)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

type lateness struct {
	mu      sync.Mutex
	samples []float64
}

func (l *lateness) run() {
	const period = 10 * time.Millisecond
	last := time.Now()
	t := time.NewTicker(period)
	for now := range t.C {
		late := float64(now.Sub(last)-period) / 1e6
		if late < 0 {
			late = 0
		}
		last = now
		l.mu.Lock()
		if len(l.samples) < 100000 {
			l.samples = append(l.samples, late)
		}
		l.mu.Unlock()
	}
}

func pct(s []float64, p float64) float64 {
	if len(s) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(s)))
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func stats(l *lateness) {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		if line != "stats" && line != "stats nogc" {
			continue
		}
		if line == "stats" {
			runtime.GC()
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		l.mu.Lock()
		s := l.samples
		l.samples = nil
		l.mu.Unlock()
		sort.Float64s(s)
		max := 0.0
		if len(s) > 0 {
			max = s[len(s)-1]
		}
		out, _ := json.Marshal(map[string]any{
			"heapUsed":  m.HeapAlloc + m.StackInuse,
			"heapAlloc": m.HeapAlloc,
			"stack":     m.StackInuse,
			"timer":     map[string]any{"n": len(s), "p50": pct(s, 50), "p99": pct(s, 99), "max": max},
		})
		fmt.Printf("stats %s\n", out)
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: echo-go 127.0.0.1:PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l := &lateness{}
	go l.run()
	go stats(l)
	fmt.Printf("listening on %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go handle(c)
	}
}
