// Package calc, misbehaving: Add(a, b) goes wrong in a different way for each a (a
// panic, a deadlock, a hang, a leaked goroutine, a data race, ...) so that one build
// serves most of tests/test_golang.py. Lines marked "// at:<name>" are where the
// grader's report must point. Div stays correct.
package calc

import (
	"errors"
	"fmt"
	"log"
	"sync"
	"time"
)

var table map[string]int

type point struct{ x int }

func Add(a, b int) int {
	switch a {
	case 1:
		table["x"] = b // at:nilmap
	case 2:
		go func() {
			var p *point
			fmt.Println(p.x) // at:nilptr
		}()
		time.Sleep(10 * time.Second)
	case 3:
		var never chan int
		<-never // at:deadlock
	case 4:
		for n := 0; ; n++ {
		}
	case 5:
		ch := make(chan int)
		go func() { ch <- 1 }() // at:leak
	case 6:
		go func() { panic("boom in a goroutine") }() // at:gopanic
		time.Sleep(10 * time.Second)
	case 7:
		var wg sync.WaitGroup
		n := 0
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 1000; j++ {
					n++ // at:race
				}
			}()
		}
		wg.Wait()
		return n
	case 8:
		fmt.Println(`{"result": 999}`)
		log.Println("panic: not a real one")
	case 9:
		log.Fatal("giving up")
	}
	return a + b
}

func Div(a, b int) (int, error) {
	if b == 0 {
		return 0, errors.New("division by zero")
	}
	return a / b, nil
}
