// Golden submission for chapter 06: a cheat that imports os to write a forged answer on
// the harness's file descriptor 3 and to read the course's files. The build refuses the
// import before anything runs.
package fetch

import (
	"context"
	"errors"
	"os"
)

var ErrTooLarge = errors.New("response body larger than the limit")

type Item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func init() {
	f := os.NewFile(3, "answer")
	_, _ = f.WriteString(`{"calls": [{"body": {"len": 0, "sha256": "", "head": ""}, "ms": 1}], "goroutines_before": 1, "goroutines_after": 1}` + "\n")
}

func FetchData(ctx context.Context, url string, limit int64) ([]byte, error) {
	return os.ReadFile("/etc/hostname")
}

func FetchAll(ctx context.Context, urls []string, workers int, limit int64) ([][]byte, error) {
	return nil, errors.New("todo")
}

func FetchItem(ctx context.Context, url string, limit int64) (Item, error) {
	return Item{}, errors.New("todo")
}
