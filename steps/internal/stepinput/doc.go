// Package stepinput turns the inputs that several steps share into the
// options of the library packages, so that every step reads them the same
// way and the library never reads step inputs by name.
package stepinput
