package validate

// MaxNodes bounds the YAML nodes a sidecar may hold, counted before any tree is built
// (see countNodes): a sidecar holds a few hundred, and every node costs yaml.v3 about
// 250 bytes while it builds the tree (a 1 MiB flow list of 500,000 items took 650 MB in
// migrate before this budget).
const MaxNodes = 50_000

// countNodes counts, in one pass over src and without building anything, the words of
// src: runs of bytes between white space and the flow indicators , [ ] { }, plus each
// [ and {. It stops once the count passes limit and returns the 1-based line where it
// did (line is 0 when it did not).
//
// Every node yaml.v3 builds starts at such a word (a scalar, an alias, a key with its
// indicator), except the empty value of a mapping entry ("a:", "{a, b}") and the
// document node: the tree holds at most 2×count+1 nodes. Quotes and comments are not
// understood on purpose: their words are counted too, so the count can only
// over-estimate, and no quote placed to fool a scanner can hide nodes from it.
func countNodes(src []byte, limit int) (count, line int) {
	line = 1
	inWord := false
	for _, c := range src {
		switch c {
		case '\n':
			line++
			inWord = false
			continue
		case ' ', '\t', '\r', ',', ']', '}':
			inWord = false
			continue
		case '[', '{':
			inWord = false
		default:
			if inWord {
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
