// fanout_errch's deadlock without the network: an error channel with room for one error,
// two goroutines that fail, and wg.Wait(). Nothing else runs, so Go's runtime sees every
// goroutine blocked and stops the program: "fatal error: all goroutines are asleep -
// deadlock!".
//
//	go run ./deadlock_detector [-url URL]
//
// With -url, main first makes one HTTP request (body read and closed, nothing wrong with
// it). The keep-alive connection it leaves in the pool is something that could still wake
// a goroutine, as far as the runtime can tell, so the same deadlock now hangs silently.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
)

func main() {
	url := flag.String("url", "", "make one HTTP request first")
	flag.Parse()
	if *url != "" {
		resp, err := http.Get(*url)
		if err != nil {
			fmt.Println("request failed:", err)
			return
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Printf("one request: %s, %d bytes, error: %v\n", resp.Status, n, err)
	}
	errCh := make(chan error, 1) // room for one error
	var wg sync.WaitGroup
	for i := 1; i <= 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errCh <- fmt.Errorf("worker %d failed", i) // the second send blocks for ever
		}()
	}
	fmt.Println("waiting for the workers")
	wg.Wait()
	fmt.Println("first error:", <-errCh)
}
