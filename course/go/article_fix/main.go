// The article's "human refinement" of fetchData, unchanged, and a main that calls it.
//
//	go run ./article_fix -url URL [-calls N] [-timeout 2s] [-digest]
//
// main prints a line for the first and the last call: the time it took, the body's
// length and the error; -digest adds the body's SHA-256 and its last bytes, to compare
// with what the server sent.
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

func fetchData(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("status: %d", resp.StatusCode)
	}
	// LimitReader prevents OOM attacks, io.ReadAll does the work
	return io.ReadAll(io.LimitReader(resp.Body, 1e7))
}

func main() {
	url := flag.String("url", "", "what to fetch")
	calls := flag.Int("calls", 1, "how many times")
	timeout := flag.Duration("timeout", 0, "a deadline for each call (0: none)")
	digest := flag.Bool("digest", false, "also print the body's SHA-256 and last bytes")
	flag.Parse()
	for i := 0; i < *calls; i++ {
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if *timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, *timeout)
		}
		start := time.Now()
		body, err := fetchData(ctx, *url)
		cancel()
		if i == 0 || i == *calls-1 {
			fmt.Printf("call %d after %v: %d bytes, error: %v\n", i+1,
				time.Since(start).Round(time.Millisecond), len(body), err)
			if *digest {
				fmt.Printf("  sha256 %x, last bytes %q\n", sha256.Sum256(body),
					body[max(0, len(body)-16):])
			}
		}
	}
}
