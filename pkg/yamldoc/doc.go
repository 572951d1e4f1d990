// Package yamldoc reads a YAML document that aviary did not write — the
// release config, the verification policy — into go-yaml's syntax tree, safe
// to decode.
//
// Bounded: YAML lets a small file ask for a lot. Ten thousand nested
// brackets make go-yaml's parser take seconds and gigabytes, and aliases and
// merge keys (`<<: [*a, *a, ...]`) fan out exponentially when a decoder
// expands them. Parse refuses such a document with its line before it gets
// expensive:
//
//  1. the size is checked (Limits.Size);
//  2. the document is split into tokens — linear work — and the nesting
//     depth and the number of nodes are bounded on the tokens, before any
//     syntax tree is built;
//  3. the syntax tree is built (cheap once depth is bounded) and walked with
//     every alias and merge key expanded, as a decoder would, without
//     building anything: the expanded node count and depth are bounded too.
//
// Merge keys resolved: go-yaml gets YAML's merge keys wrong, so Parse
// rewrites every mapping holding `<<` into the plain mapping it stands for
// (its own keys win, then earlier merged mappings) before anything decodes
// it. `<<: *base` with overrides and `<<: [*a, *b]` work as YAML defines
// them.
//
// Ordinary YAML passes untouched.
//
// Read strictly, every problem at once: DecodeStrict parses a document
// within limits and decodes it into a Go struct, reporting with its line and
// column every unknown field (with the known field it differs from by case
// only), duplicate key and value of the wrong shape — a decoder stops at the
// first — then what the decoder refuses. Its Decoded places the problems of
// later validation by their paths. Problem is the one problem type of every
// file aviary reads from its users (the release config and its analysis
// settings, the verification policy) and Problems the error listing a
// file's problems the way a compiler does. Package config and package
// policy read through DecodeStrict.
package yamldoc
