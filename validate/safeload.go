package validate

// safeLoadRefusals are the rules that mean PyYAML's yaml.safe_load raises on the file:
// the Python consumers cannot read it at all. Other yaml/* findings are lints (PyYAML
// reads the file, but not as a Python app expects: duplicate keys, unquoted timestamps,
// truthy words, .nan) or ckptmeta's own limits (too-large, node-budget, alias-budget,
// int-too-large), which refuse what PyYAML would read but no sidecar needs.
var safeLoadRefusals = map[string]bool{
	"yaml/syntax":             true,
	"yaml/multiple-documents": true,
	"yaml/unsafe-tag":         true,
	"yaml/unknown-tag":        true,
	"yaml/unloadable":         true,
	"yaml/duplicate-anchor":   true,
}

// RefusedBySafeLoad reports whether fs hold a finding that means PyYAML's yaml.safe_load
// raises on the file. A mapping or sequence used as a key counts (PyYAML: "found
// unhashable key"); a number used as a key does not (it is only a warning).
func RefusedBySafeLoad(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity != SeverityError {
			continue
		}
		if safeLoadRefusals[f.Rule] || (f.Rule == "yaml/non-string-key" && f.Message == msgComplexKey) {
			return true
		}
	}
	return false
}

// safeLoadLimits are the rules by which ckptmeta refuses what PyYAML reads.
var safeLoadLimits = map[string]bool{
	"yaml/too-large": true, "yaml/node-budget": true, "yaml/alias-budget": true, "yaml/int-too-large": true,
}

const msgComplexKey = "mapping key is not a scalar"
