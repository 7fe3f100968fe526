// A fan-out the way assistants write it: a goroutine per URL, a semaphore for the
// worker limit, one unbuffered results channel, and "return on the first error".
//
//	go run ./fanout_ai -workers W -rounds R URL...
//
// Each round fetches every URL; main prints the goroutine count after each round. When
// one URL fails early, fetchAll returns, and every goroutine still to send its result
// blocks forever on the channel nobody reads any more: the count grows each round.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"time"
)

type result struct {
	i    int
	body []byte
	err  error
}

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
	results := make(chan result)
	sem := make(chan struct{}, workers)
	for i, u := range urls {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			body, err := fetch(u)
			results <- result{i, body, err}
		}()
	}
	bodies := make([][]byte, len(urls))
	for range urls {
		r := <-results
		if r.err != nil {
			return nil, r.err // the goroutines still running will never be received from
		}
		bodies[r.i] = r.body
	}
	return bodies, nil
}

func main() {
	workers := flag.Int("workers", 4, "requests at once")
	rounds := flag.Int("rounds", 5, "how many times to fetch the list")
	flag.Parse()
	fmt.Printf("goroutines before: %d\n", runtime.NumGoroutine())
	for r := 1; r <= *rounds; r++ {
		start := time.Now()
		_, err := fetchAll(flag.Args(), *workers)
		took := time.Since(start)
		time.Sleep(200 * time.Millisecond) // let finished goroutines end
		fmt.Printf("round %d: %v after %v; goroutines now: %d\n", r, err,
			took.Round(time.Millisecond), runtime.NumGoroutine())
	}
}
