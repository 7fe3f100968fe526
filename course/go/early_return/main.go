// The status check the way assistants often write it: first, before the defer that closes
// the body. Every response that is not 200 returns with its body neither read nor closed,
// and the Transport can neither reuse that connection nor close it: it stays open.
//
//	go run ./early_return -url URL [-calls N] [-variant ai|close|drain] [-hold 2s]
//
// -variant picks the fetchData below: "ai" (the pattern above), "close" (defer Close
// right after the error check) or "drain" (that, and read what is left of the body before
// closing, so the connection can be reused). -hold keeps the process alive after the calls,
// so that a server can count the connections it still holds: when a process exits, the
// kernel closes all of its sockets and every leak disappears.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func fetchDataAI(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("unexpected status: %d", resp.StatusCode)
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func fetchDataClose(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close() // right after the error check: every path below closes it
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("unexpected status: %d", resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

func fetchDataDrain(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer func() {
		// Read (a bounded amount of) what is left, so the connection goes back to the
		// pool instead of being closed; then close.
		// Both errors are ignored on purpose: at worst the connection is not reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("unexpected status: %d", resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

func main() {
	url := flag.String("url", "", "what to fetch")
	calls := flag.Int("calls", 1, "how many times")
	variant := flag.String("variant", "ai", "which fetchData: ai, close or drain")
	hold := flag.Duration("hold", 0, "how long to stay alive after the calls")
	flag.Parse()
	fetchData := map[string]func(string) ([]byte, error){
		"ai": fetchDataAI, "close": fetchDataClose, "drain": fetchDataDrain,
	}[*variant]
	if fetchData == nil {
		fmt.Fprintf(os.Stderr, "unknown -variant %q: ai, close or drain\n", *variant)
		os.Exit(2)
	}
	failed := 0
	for i := 0; i < *calls; i++ {
		body, err := fetchData(*url)
		if err != nil {
			failed++
		}
		if i == 0 || i == *calls-1 {
			fmt.Printf("call %d: %d bytes, error: %v\n", i+1, len(body), err)
		}
	}
	fmt.Printf("%d calls, %d errors; holding for %v\n", *calls, failed, *hold)
	time.Sleep(*hold)
}
