// The article's AI version of fetchData, unchanged, and a main that calls it.
//
//	go run ./article_ai -url URL [-calls N] [-hold 2s]
//
// main prints a line for the first and the last call: the body's length and its start.
// -hold keeps the process alive after the calls, so that a server can count the
// connections it still holds (when a process exits, the kernel closes its sockets).
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

func fetchData(url string) []byte {
	resp, _ := http.Get(url)         // Dangerous: no nil check
	body, _ := io.ReadAll(resp.Body) // PANIC here if net is down
	return body                      // Resource leak: resp.Body never closed
}

func main() {
	url := flag.String("url", "", "what to fetch")
	calls := flag.Int("calls", 1, "how many times")
	hold := flag.Duration("hold", 0, "how long to stay alive after the calls")
	flag.Parse()
	for i := 0; i < *calls; i++ {
		body := fetchData(*url)
		if i == 0 || i == *calls-1 {
			fmt.Printf("call %d: %d bytes, starting %q\n", i+1, len(body), head(body))
		}
	}
	if *hold > 0 {
		fmt.Printf("%d calls done; holding for %v\n", *calls, *hold)
		time.Sleep(*hold)
	}
}

func head(b []byte) string {
	return string(b[:min(len(b), 40)])
}
