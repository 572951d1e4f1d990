// Command hello stands in for a step in stepimage's tests: it builds in
// seconds and uses only the standard library.
package main

import "fmt"

func main() { fmt.Println("hello") }
