#!/usr/bin/python3
"""Writes the adversarial YAML corpus of the safe_load differential test
(validate/safeload_test.go): one document per file, named for what it probes.

Files named limit-*.yaml are read by PyYAML but refused by ckptmeta on purpose (a
documented limit); files named known-*.yaml are divergences the test lists and
explains (yaml.v3 refuses them before ckptmeta can judge them); every other file must be accepted or refused by ckptmeta exactly as
yaml.safe_load accepts or refuses it. Run it from anywhere; it rewrites the directory.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SIDECAR = "schema_version: '1.0'\nepoch: 3\nmetrics:\n  hmean: 0.5\n"

DOCS = {
    # plain documents both read
    "ok-sidecar": SIDECAR,
    "ok-flow": "a: [1, 2, {b: c}]\n",
    "ok-empty-values": "a:\nb: ~\n0:\n- \n",
    "ok-empty-file": "",
    "ok-comment-only": "# nothing\n",
    "ok-document-end": "a: 1\n...\n",
    # tags safe_load refuses
    "tag-python-object-apply": "a: !!python/object/apply:os.system ['echo pwned']\n",
    "tag-python-name": "a: !!python/name:os.system\n",
    "tag-python-module": "a: !!python/module:os\n",
    "tag-python-object": "a: !!python/object:collections.OrderedDict {}\n",
    "tag-python-object-new": "a: !!python/object/new:builtins.list [[1]]\n",
    "tag-python-tuple": "a: !!python/tuple [1, 2]\n",
    "tag-python-on-root": "--- !!python/object/apply:os.system\nargs: ['id']\n",
    "tag-python-on-key": "? !!python/name:os.system\n: 1\n",
    "tag-local": "a: !foo 1\n",
    "tag-local-on-map": "a: !foo {b: 1}\n",
    "tag-unknown-secondary": "a: !!foo 1\n",
    "tag-verbatim-unknown": "a: !<tag:example.com,2000:x> 1\n",
    "tag-handle-directive": "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "tag-merge-value": "a: !!value 1\n",
    # known tags: values PyYAML constructs, and values it cannot
    "ok-tag-str": "a: !!str 1\nb: !<tag:yaml.org,2002:str> x\n",
    "ok-tag-int-forms": "a: !!int 0x1F\nb: !!int 1_000\nc: !!int 0o17\nd: !!int '12'\ne: !!int 1:30\nf: !!int -0b101\n",
    "ok-tag-float-forms": "a: !!float 1\nb: !!float 1e5\nc: !!float .5\nd: !!float infinity\n",
    "ok-tag-bool": "a: !!bool yes\nb: !!bool OFF\n",
    "ok-tag-null": "a: !!null x\n",
    "ok-tag-timestamp": "a: !!timestamp 2020-01-01\nb: !!timestamp 2020-01-01T10:00:00.5Z\n",
    "ok-tag-binary": "a: !!binary aGVsbG8=\nb: !!binary \"!!!\"\n",
    "ok-tag-collections": "a: !!seq [1]\nb: !!map {c: 1}\nc: !!set {x, y}\nd: !!omap [{a: 1}]\ne: !!pairs [{a: 1}]\n",
    "ok-tag-nonspecific": "a: ! 1\n",
    "tag-int-abc": "a: !!int abc\n",
    "tag-int-empty": "a: !!int\n",
    "tag-float-abc": "a: !!float abc\n",
    "tag-float-hex": "a: !!float 0x10\n",
    "tag-bool-maybe": "a: !!bool maybe\n",
    "tag-bool-empty": "a: !!bool\n",
    "tag-timestamp-text": "a: !!timestamp yesterday\n",
    "tag-timestamp-bad-day": "a: !!timestamp 2021-02-29\n",
    "tag-binary-padding": "a: !!binary YQ\n",
    "tag-binary-one-extra": "a: !!binary Y\n",
    "tag-binary-non-ascii": "a: !!binary \"é\"\n",
    "tag-str-on-seq": "a: !!str [1]\n",
    "tag-seq-on-scalar": "a: !!seq x\n",
    "tag-map-on-seq": "a: !!map [1]\n",
    "tag-omap-on-map": "a: !!omap {a: 1}\n",
    "tag-omap-long-item": "a: !!omap [{a: 1, b: 2}]\n",
    "tag-int-on-key": "!!int x: 1\n",
    # implicit values PyYAML cannot construct
    "int-binary-empty": "a: 0b_\n",
    "int-hex-empty": "a: 0x_\n",
    "timestamp-bad-month": "a: 2020-13-01\n",
    "timestamp-bad-day": "a: 2020-02-30\n",
    "timestamp-bad-second": "a: 2020-01-01 10:00:60\n",
    "timestamp-bad-offset": "a: 2020-01-01 10:00:00 +99\n",
    "timestamp-year-zero": "a: 0000-01-01\n",
    "timestamp-bad-key": "2020-02-30: x\n",
    "ok-timestamp": "a: 2020-02-29 23:59:59.123456789 -05:30\n",
    # huge integers: Python refuses decimal ones over 4300 digits
    "ok-int-4300-digits": "a: " + "1" * 4300 + "\n",
    "int-4301-digits": "a: " + "1" * 4301 + "\n",
    "int-5000-digits": "a: " + "7" * 5000 + "\n",
    "int-5000-digits-negative": "a: -" + "7" * 5000 + "\n",
    "int-5000-digits-tagged": "a: !!int " + "7" * 5000 + "\n",
    "int-5000-digits-underscores": "a: 1_" + "7" * 4300 + "\n",
    "limit-int-5000-hex-digits": "a: 0x" + "f" * 5000 + "\n",
    "limit-int-5000-octal-digits": "a: 0" + "7" * 6000 + "\n",
    "ok-float-5000-digits": "a: " + "1" * 5000 + ".5\n",
    # tabs: PyYAML never skips one between tokens
    "tab-after-colon": "a:\t1\n",
    "tab-before-key": "\ta: 1\n",
    "tab-indent": "a:\n\t- 1\n",
    "tab-in-plain": "a: b\tc\n",
    "tab-trailing": "a: 1\t\n",
    "tab-before-comment": "a: 1\t# c\n",
    "tab-in-flow": "a: [1,\t2]\n",
    "tab-after-dash": "-\t1\n",
    "tab-blank-line": "a: 1\n\t\nb: 2\n",
    "tab-after-quoted": "a: 'x'\t\n",
    "tab-in-block-header": "a: |\t\n  x\n",
    "tab-under-block-indent": "a: |\n  x\n\ty\n",
    "ok-tab-in-quoted": "a: 'x\ty'\nb: \"x\\ty\tz\"\n",
    "ok-tab-in-quoted-continuation": "a: \"x\n\ty\"\n",
    "ok-tab-in-comment": "a: 1 # x\ty\n# \t\n",
    "ok-tab-in-block": "a: |\n  x\ty\n  \tz\nb: >\n  q\n  \tr\n",
    "known-tab-first-in-block": "b: |\n  \tq\n",
    "ok-tab-in-tagged-quoted": "a: !!str 'x\ty'\n",
    # anchors and aliases
    "anchor-duplicate": "a: &x 1\nb: &x 2\n",
    "anchor-duplicate-nested": "a: &x [&y 1, &x 2]\n",
    "ok-anchor-alias": "a: &x 1\nb: *x\n",
    "ok-anchor-redefined-other-name": "a: &x 1\nb: &y 2\nc: *y\n",
    "alias-undefined": "a: *nope\n",
    "ok-merge": "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",
    "merge-scalar": "a: &s 1\nb:\n  <<: *s\n",
    # %YAML and other directives
    "ok-directive-1.1": "%YAML 1.1\n---\na: 1\n",
    "ok-directive-1.2": "%YAML 1.2\n---\na: 1\n",
    "ok-directive-1.0": "%YAML 1.0\n---\na: 1\n",
    "ok-directive-1.12": "%YAML 1.12\n---\na: 1\n",
    "ok-directive-1.2-comment": "# c\n%YAML 1.2 # why\n---\na: 1\n",
    "directive-2.0": "%YAML 2.0\n---\na: 1\n",
    "directive-twice": "%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
    "ok-directive-reserved": "%FOO bar\n---\na: 1\n",
    "ok-directive-reserved-tab-text": "%FOO a\tb\n---\na: 1\n",
    "directive-reserved-no-document": "%FOO bar\na: 1\n",
    "directive-reserved-tab": "%FOO\tbar\n---\na: 1\n",
    "ok-directive-and-reserved": "%YAML 1.2\n%FOO bar\n---\na: 1\n",
    "directive-no-document": "%YAML 1.2\na: 1\n",
    "directive-tab": "%YAML\t1.1\n---\na: 1\n",
    # structure
    "multiple-documents": "a: 1\n---\nb: 2\n",
    "multiple-empty-documents": "---\n---\n",
    "complex-key-seq": "? [1]\n: 2\n",
    "complex-key-map": "? {a: 1}\n: 2\n",
    "ok-duplicate-keys": "a: 1\na: 2\n",
    "limit-recursive-alias": "a: &a [*a]\n",
    # characters
    "char-del": "a: \x7f\n",
    "char-nul": "a: \x00\n",
    "ok-char-bom-start": "\ufeffa: 1\n",
    "ok-char-nbsp": "a: \u00a0x\n",
}


def main():
    for f in os.listdir(HERE):
        if f.endswith(".yaml"):
            os.remove(os.path.join(HERE, f))
    for name, text in sorted(DOCS.items()):
        with open(os.path.join(HERE, name + ".yaml"), "wb") as f:
            f.write(text.encode("utf-8"))
    print(len(DOCS), "documents")


if __name__ == "__main__":
    main()
