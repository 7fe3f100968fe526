// The other fan-out assistants write: a WaitGroup, and an error channel with room for
// one error. With one failing URL it works, and every test with one failure passes.
// With two, the second failure's send blocks forever, wg.Wait() never returns, and the
// call hangs: a deadlock that needs two failures (or a particular schedule) to appear.
//
//	go run ./fanout_errch -workers W URL...
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"time"
)

func fetch(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d", url, resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

func fetchAll(urls []string, workers int) ([][]byte, error) {
	bodies := make([][]byte, len(urls))
	errCh := make(chan error, 1)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			body, err := fetch(u)
			if err != nil {
				errCh <- err // room for one: a second failure blocks here forever
				return
			}
			bodies[i] = body
		}()
	}
	wg.Wait()
	close(errCh)
	if err := <-errCh; err != nil {
		return nil, err
	}
	return bodies, nil
}

func main() {
	workers := flag.Int("workers", 4, "requests at once")
	flag.Parse()
	start := time.Now()
	go func() { // a watchdog, so that the demo reports the hang instead of only hanging
		for {
			time.Sleep(time.Second)
			fmt.Printf("still waiting after %v; goroutines: %d\n",
				time.Since(start).Round(time.Second), runtime.NumGoroutine())
		}
	}()
	bodies, err := fetchAll(flag.Args(), *workers)
	fmt.Printf("returned after %v: %d bodies, error: %v\n",
		time.Since(start).Round(time.Millisecond), len(bodies), err)
}
