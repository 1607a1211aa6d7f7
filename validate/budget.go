package validate

// MaxNodes bounds the YAML nodes a sidecar may hold, counted before any tree is built
// (see countNodes): a sidecar holds a few hundred, and every node costs yaml.v3 about
// 250 bytes while it builds the tree, and migrate about 2 KB in all (a 1 MiB flow list of
// 500,000 items took 650 MB in migrate before this budget; 25,000 nodes keep one file
// under 64 MB in migrate too).
const MaxNodes = 25_000

// countNodes counts, in one pass over src and without building anything, the tokens of
// src that can start a node: each word (a run of bytes between white space and the flow
// indicators , [ ] { }), each [ and {, each comma, and once more each word that ends in
// ':'. It stops once the count passes limit and returns the 1-based line where it did
// (line is 0 when it did not).
//
// Every node yaml.v3 builds starts at such a token: a scalar, an alias, a collection,
// and the empty value a key may imply ("a:" at the end of a line, "{a, b}") is paid for
// by the key's ':' or the comma after it. So the tree holds at most count+1 nodes (the
// document). Quotes and comments are not understood on purpose: their words are counted
// too, so the count only over-estimates, and no quote placed to fool a scanner can hide
// nodes from it.
func countNodes(src []byte, limit int) (count, line int) {
	line = 1
	inWord := false
	for i, c := range src {
		switch c {
		case '\n':
			line++
			inWord = false
			continue
		case ' ', '\t', '\r', ']', '}':
			inWord = false
			continue
		case ',', '[', '{':
			inWord = false
		default:
			if c == ':' && (i+1 == len(src) || isSpace(src[i+1])) {
				count++ // a key: its value may be empty
			}
			if inWord {
				if count > limit {
					return count, line
				}
				continue
			}
			inWord = true
		}
		count++
		if count > limit {
			return count, line
		}
	}
	return count, 0
}

// mayExceedNodes reports whether countNodes could count more than limit in size bytes: each
// byte adds at most two (a word's first byte that is also a key's ':'), so below half the
// limit in bytes it cannot, and the scan can be skipped.
func mayExceedNodes(size, limit int) bool { return 2*size > limit }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
