// The course's harness for package calc: reads {"op": "Add"|"Div", "a": 1, "b": 2},
// calls the learner's function and answers {"result": ..., "error": ..., "panic": ...,
// "leaked": n, ...}, where leaked counts goroutines still running 300 ms after the call,
// gomaxprocs is the runtime's setting and echo the variable CALC_ECHO (both to test
// what grader.golang.run passes to the process).
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"gradeharness/calc"
	"gradeharness/gradeproto"
)

type request struct {
	Op string `json:"op"`
	A  int    `json:"a"`
	B  int    `json:"b"`
}

type response struct {
	Result any    `json:"result"`
	Error  string `json:"error,omitempty"`
	Panic  string `json:"panic,omitempty"`
	Leaked int    `json:"leaked"`
	Procs  int    `json:"gomaxprocs"`
	Echo   string `json:"echo"`
	Home   string `json:"home"`
}

func main() {
	var req request
	if err := gradeproto.ReadRequest(&req); err != nil {
		gradeproto.WriteResponse(response{Error: "bad request: " + err.Error()})
		return
	}
	baseline := gradeproto.Goroutines()
	result, errText, panicText := gradeproto.Call(func() (any, error) {
		switch req.Op {
		case "Add":
			return calc.Add(req.A, req.B), nil
		case "Div":
			return calc.Div(req.A, req.B)
		}
		return nil, fmt.Errorf("unknown op %q", req.Op)
	})
	leaked := max(0, gradeproto.Settle(baseline, 300*time.Millisecond)-baseline)
	gradeproto.WriteResponse(response{
		Result: result, Error: errText, Panic: panicText, Leaked: leaked,
		Procs: runtime.GOMAXPROCS(0), Echo: os.Getenv("CALC_ECHO"), Home: os.Getenv("HOME"),
	})
}
