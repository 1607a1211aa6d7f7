package ckpt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Limits of the pre-scan. Real Lightning pickles stay far below them (they
// spend about 7 bytes per value: a tensor is some 15 values in ~100 bytes);
// they exist so that every later allocation by the decoder is bounded by the
// pickle size, and the decoded tree by budgets proportional to it.
const (
	maxOps       = 1 << 22 // opcodes per pickle
	maxMarkDepth = 4096    // open MARKs at once (the decoder allocates per MARK)
	maxStack     = 1 << 18 // stack depth (picklers batch APPENDS/SETITEMS by 1000)
	maxNameLen   = 1024    // module/name of a global
	maxLongBytes = 1024    // LONG1/LONG4 payload: 2466 decimal digits (Python refuses str() past 4300)

	// Budgets proportional to the pickle's size. A value is anything the
	// pickle pushes; a container is what becomes a dict, list, tuple, set or
	// object. Each costs the decoder and converter a few hundred bytes while
	// its opcode costs one: dense pickles (a dict of a million keys, a list
	// of a million empty dicts) are what blew memory up.
	valueBytes     = 4 // pickle bytes per value allowed
	valueSlack     = 1 << 16
	containerBytes = 8 // pickle bytes per container allowed
	containerSlack = 1 << 14
	memoBytes      = 4 // pickle bytes per memo entry allowed
	memoSlack      = 1 << 12
	// Absolute caps on the same, so that no single input, however large,
	// decodes into more than about 64 MB (TestHostileMemory measures it).
	maxValues     = 1 << 19
	maxContainers = 1 << 18
	maxMemo       = 1 << 18
)

// budget is the pre-scan's allowance for one pickle of size bytes.
type budget struct{ values, containers, memo int }

func budgetFor(size int) budget {
	return budget{
		values:     min(size/valueBytes+valueSlack, maxValues),
		containers: min(size/containerBytes+containerSlack, maxContainers),
		memo:       min(size/memoBytes+memoSlack, maxMemo),
	}
}

// scanError is a pre-scan failure at byte offset Off. Short means the data
// ended before the pickle did (or a length pointed past the end).
type scanError struct {
	Off   int
	Short bool
	Err   error
}

func (e *scanError) Error() string { return e.Err.Error() }
func (e *scanError) Unwrap() error { return e.Err }

var errShort = errors.New("unexpected end of pickle")

// scanItem is what the pre-scan knows about a stack value: only strings are
// tracked (for STACK_GLOBAL), everything else is opaque (len < 0). Eight
// bytes, because the stack and the memo hold one per value: the string is
// data[off:off+len] (data.pkl is at most maxPickleSize bytes), no copy.
type scanItem struct {
	off uint32
	len int32
}

var opaque = scanItem{len: -1}

func strItem(off, n int) scanItem { return scanItem{off: uint32(off), len: int32(n)} }

func (it scanItem) isStr() bool { return it.len >= 0 }

// scanResult describes one pickle.
type scanResult struct {
	End     int      // offset just past STOP
	Globals []Global // in order of appearance, raw (not canonicalised)
	Ops     int
}

// prescan walks the pickle that starts at data[start:] without building any
// value. It is the gate that keeps hostile pickles away from gopickle, which
// allocates whatever length a pickle declares and panics on malformed stacks.
// If literal is set only the opcodes of a plain integer literal are allowed
// (used for the legacy magic number, which must not be computed by code).
func prescan(data []byte, start int, literal bool) (scanResult, error) {
	s := &scanner{
		data: data, p: start, literal: literal, frameEnd: -1,
		stack: make([]scanItem, 0, 64), memo: newScanMemo(), budget: budgetFor(len(data) - start),
	}
	for {
		done, err := s.step()
		if err != nil {
			return s.res, err
		}
		if done {
			return s.res, nil
		}
	}
}

// scanner is the state of one pre-scan: the position, the stack of string
// or opaque items, the MARK positions, the memo and what has been spent.
type scanner struct {
	data     []byte
	p        int // next byte to read
	opOff    int // offset of the opcode being scanned
	literal  bool
	frameEnd int // end offset of the current FRAME, -1 if none
	stack    []scanItem
	marks    []int // stack lengths at each MARK
	memo     *scanMemo
	budget   budget
	values   int
	conts    int
	res      scanResult
}

// fail reports a malformed pickle at the current opcode.
func (s *scanner) fail(format string, args ...any) error {
	return &scanError{Off: s.opOff, Err: fmt.Errorf(format, args...)}
}

// short reports that the data ends before the pickle does.
func (s *scanner) short() error { return &scanError{Off: s.opOff, Short: true, Err: errShort} }

func (s *scanner) remaining() int { return len(s.data) - s.p }

// base is the stack length at the innermost MARK: what an opcode may pop.
func (s *scanner) base() int {
	if len(s.marks) > 0 {
		return s.marks[len(s.marks)-1]
	}
	return 0
}

// above is the number of items above the innermost MARK.
func (s *scanner) above() int { return len(s.stack) - s.base() }

// push adds a new value (container says what it will decode to).
func (s *scanner) push(it scanItem, container bool) error {
	if len(s.stack) >= maxStack {
		return s.fail("%w", limitErr("stack deeper than %d", maxStack))
	}
	s.values++
	if s.values > s.budget.values {
		return s.fail("%w", limitErr("more than %d values for a %d-byte pickle", s.budget.values, len(s.data)))
	}
	if container {
		s.conts++
		if s.conts > s.budget.containers {
			return s.fail("%w", limitErr("more than %d containers for a %d-byte pickle", s.budget.containers, len(s.data)))
		}
	}
	s.stack = append(s.stack, it)
	return nil
}

// pop removes n items above the innermost MARK.
func (s *scanner) pop(n int) error {
	if s.above() < n {
		return s.fail("stack underflow")
	}
	s.stack = s.stack[:len(s.stack)-n]
	return nil
}

// popMark closes the innermost MARK and returns the number of items above it.
func (s *scanner) popMark() (int, error) {
	if len(s.marks) == 0 {
		return 0, s.fail("missing MARK")
	}
	m := s.marks[len(s.marks)-1]
	s.marks = s.marks[:len(s.marks)-1]
	n := len(s.stack) - m
	s.stack = s.stack[:m]
	return n, nil
}

// readLine returns the text up to the next newline (text opcodes' argument).
func (s *scanner) readLine() (string, error) {
	for i := s.p; i < len(s.data); i++ {
		if s.data[i] == '\n' {
			line := string(s.data[s.p:i])
			s.p = i + 1
			if s.frameEnd >= 0 && s.p > s.frameEnd {
				return "", s.fail("opcode crosses a frame boundary")
			}
			return line, nil
		}
	}
	return "", s.short()
}

// fixedArgLen is the size of an opcode's fixed argument.
func fixedArgLen(op byte) int {
	switch op {
	case opBININT1, opBINGET, opBINPUT, opPROTO, opSHORT_BINSTRING, opSHORT_BINBYTES, opSHORT_BINUNICODE, opLONG1:
		return 1
	case opBININT2:
		return 2
	case opBININT, opLONG_BINGET, opLONG_BINPUT, opBINSTRING, opBINBYTES, opBINUNICODE, opLONG4:
		return 4
	case opBINFLOAT, opFRAME, opBINUNICODE8, opBINBYTES8, opBYTEARRAY8:
		return 8
	}
	return 0
}

// payloadLen is the declared length of a counted opcode's payload, -1 for
// opcodes without one. It is checked against what remains before anything
// could allocate it.
func (s *scanner) payloadLen(op byte, arg []byte) (int, error) {
	var n uint64
	switch op {
	case opSHORT_BINSTRING, opSHORT_BINBYTES, opSHORT_BINUNICODE, opLONG1:
		n = uint64(arg[0])
	case opBINSTRING, opLONG4:
		v := int32(binary.LittleEndian.Uint32(arg))
		if v < 0 {
			return 0, s.fail("negative length %d", v)
		}
		n = uint64(v)
	case opBINBYTES, opBINUNICODE:
		n = uint64(binary.LittleEndian.Uint32(arg))
	case opBINUNICODE8, opBINBYTES8, opBYTEARRAY8:
		n = binary.LittleEndian.Uint64(arg)
	default:
		return -1, nil
	}
	if n > uint64(s.remaining()) {
		return 0, s.short()
	}
	switch {
	case (op == opLONG1 || op == opLONG4) && n == 0:
		// gopickle indexes the last byte of an empty LONG payload.
		return 0, s.fail("empty LONG")
	case (op == opLONG1 || op == opLONG4) && n > maxLongBytes:
		return 0, s.fail("%w", limitErr("integer of %d bytes (limit %d)", n, maxLongBytes))
	}
	return int(n), nil
}

// literalOp reports whether op may appear in a plain integer literal (the legacy magic
// number and protocol version).
func literalOp(op byte) bool {
	switch op {
	case opPROTO, opFRAME, opLONG1, opLONG4, opBININT, opBININT1, opBININT2, opINT, opLONG,
		opBINPUT, opLONG_BINPUT, opPUT, opMEMOIZE, opSTOP:
		return true
	}
	return false
}

// step scans one opcode; done is set after STOP.
func (s *scanner) step() (done bool, err error) {
	if s.frameEnd >= 0 && s.p == s.frameEnd {
		s.frameEnd = -1
	}
	s.opOff = s.p
	if s.p >= len(s.data) {
		return false, s.short()
	}
	s.res.Ops++
	if s.res.Ops > maxOps {
		return false, s.fail("%w", limitErr("more than %d pickle opcodes", maxOps))
	}
	op := s.data[s.p]
	s.p++
	if s.literal && !literalOp(op) {
		return false, s.fail("opcode 0x%02x not allowed in a literal", op)
	}
	argLen := fixedArgLen(op)
	if argLen > s.remaining() {
		return false, s.short()
	}
	arg := s.data[s.p : s.p+argLen]
	s.p += argLen
	payload, err := s.payloadLen(op, arg)
	if err != nil {
		return false, err
	}
	str := opaque
	if payload >= 0 {
		if isStringOp(op) && payload <= maxNameLen {
			str = strItem(s.p, payload) // longer: opaque, cannot name a global
		}
		s.p += payload
	}
	if s.frameEnd >= 0 && s.p > s.frameEnd {
		return false, s.fail("opcode crosses a frame boundary")
	}
	return s.apply(op, arg, str)
}

func isStringOp(op byte) bool {
	switch op {
	case opSHORT_BINUNICODE, opBINUNICODE, opBINUNICODE8, opSHORT_BINSTRING, opBINSTRING:
		return true
	}
	return false
}

// apply does to the scan stack what op does to the unpickler's stack.
func (s *scanner) apply(op byte, arg []byte, str scanItem) (done bool, err error) {
	switch op {
	case opPROTO:
		if arg[0] > 5 {
			return false, s.fail("unsupported pickle protocol %d", arg[0])
		}
		s.res.Ops-- // not a value-producing opcode; keep counts comparable
	case opFRAME:
		n := binary.LittleEndian.Uint64(arg)
		if n > uint64(s.remaining()) {
			return false, s.short()
		}
		if s.frameEnd >= 0 {
			return false, s.fail("frame inside a frame")
		}
		s.frameEnd = s.p + int(n)
	case opSTOP:
		if len(s.marks) != 0 || len(s.stack) != 1 {
			return false, s.fail("STOP with %d stack items and %d open marks", len(s.stack), len(s.marks))
		}
		s.res.End = s.p
		return true, nil

	case opBININT, opBININT1, opBININT2, opLONG1, opLONG4, opBINFLOAT, opNONE, opNEWTRUE, opNEWFALSE,
		opBINBYTES, opSHORT_BINBYTES, opBINBYTES8, opBYTEARRAY8:
		return false, s.push(opaque, false)
	case opEMPTY_LIST, opEMPTY_TUPLE, opEMPTY_DICT, opEMPTY_SET:
		return false, s.push(opaque, true)
	case opSHORT_BINSTRING, opBINSTRING, opSHORT_BINUNICODE, opBINUNICODE, opBINUNICODE8:
		return false, s.push(str, false)
	case opINT, opLONG, opFLOAT, opSTRING, opUNICODE:
		return false, s.textValue(op)
	case opGLOBAL:
		return false, s.global()
	case opSTACK_GLOBAL:
		return false, s.stackGlobal()
	case opMARK:
		if len(s.marks) >= maxMarkDepth {
			return false, s.fail("%w", limitErr("more than %d nested MARKs", maxMarkDepth))
		}
		s.marks = append(s.marks, len(s.stack))
	case opTUPLE, opLIST, opDICT, opFROZENSET:
		n, err := s.popMark()
		if err != nil {
			return false, err
		}
		if op == opDICT && n%2 != 0 {
			return false, s.fail("odd number of dict items")
		}
		return false, s.push(opaque, true)
	case opAPPENDS, opSETITEMS, opADDITEMS:
		n, err := s.popMark()
		if err != nil {
			return false, err
		}
		if op == opSETITEMS && n%2 != 0 {
			return false, s.fail("odd number of SETITEMS items")
		}
		if s.above() < 1 {
			return false, s.fail("stack underflow")
		}
		s.stack[len(s.stack)-1] = opaque
	case opPOP_MARK:
		_, err := s.popMark()
		return false, err
	case opPOP:
		if s.above() == 0 {
			if _, err := s.popMark(); err != nil {
				return false, s.fail("stack underflow")
			}
			return false, nil
		}
		s.stack = s.stack[:len(s.stack)-1]
	case opDUP:
		if s.above() < 1 {
			return false, s.fail("stack underflow")
		}
		return false, s.push(s.stack[len(s.stack)-1], false)
	case opAPPEND, opBUILD:
		if s.above() < 2 {
			return false, s.fail("stack underflow")
		}
		s.stack = s.stack[:len(s.stack)-1]
		s.stack[len(s.stack)-1] = opaque
	case opSETITEM:
		if s.above() < 3 {
			return false, s.fail("stack underflow")
		}
		s.stack = s.stack[:len(s.stack)-2]
		s.stack[len(s.stack)-1] = opaque
	case opTUPLE1, opTUPLE2, opTUPLE3, opREDUCE, opNEWOBJ, opNEWOBJ_EX, opBINPERSID:
		if err := s.pop(popCount(op)); err != nil {
			return false, err
		}
		return false, s.push(opaque, true)
	case opBINPUT, opLONG_BINPUT, opPUT, opMEMOIZE:
		return false, s.put(op, arg)
	case opBINGET, opLONG_BINGET, opGET:
		return false, s.get(op, arg)
	case opEXT1, opEXT2, opEXT4:
		return false, s.fail("extension codes are not supported")
	case opINST, opOBJ:
		return false, s.fail("INST/OBJ opcodes are not supported")
	case opPERSID:
		return false, s.fail("text persistent ids are not supported")
	case opNEXT_BUFFER, opREADONLY_BUFFER:
		return false, s.fail("out-of-band buffers are not supported")
	default:
		return false, s.fail("unknown opcode 0x%02x", op)
	}
	return false, nil
}

// popCount is how many stack items a fixed-arity opcode consumes.
func popCount(op byte) int {
	switch op {
	case opTUPLE2, opREDUCE, opNEWOBJ:
		return 2
	case opTUPLE3, opNEWOBJ_EX:
		return 3
	}
	return 1
}

// textValue checks a protocol-0 text literal (INT, LONG, FLOAT, STRING,
// UNICODE) and pushes it.
func (s *scanner) textValue(op byte) error {
	line, err := s.readLine()
	if err != nil {
		return err
	}
	switch op {
	case opINT, opLONG:
		l := line
		if op == opLONG && len(l) > 0 && l[len(l)-1] == 'L' {
			l = l[:len(l)-1]
		}
		if len(l) == 0 || len(l) > 4096 {
			return s.fail("bad integer literal")
		}
		for i, c := range []byte(l) {
			if !(c >= '0' && c <= '9' || i == 0 && (c == '-' || c == '+')) {
				return s.fail("bad integer literal")
			}
		}
	case opFLOAT:
		if _, err := strconv.ParseFloat(line, 64); err != nil {
			return s.fail("bad float literal")
		}
	case opSTRING:
		if len(line) < 2 || line[0] != line[len(line)-1] || (line[0] != '\'' && line[0] != '"') {
			return s.fail("bad STRING literal")
		}
	}
	it := opaque
	if op == opUNICODE && len(line) <= maxNameLen {
		it = strItem(s.p-1-len(line), len(line))
	}
	return s.push(it, false)
}

// global records a GLOBAL opcode's module and name.
func (s *scanner) global() error {
	mod, err := s.readLine()
	if err != nil {
		return err
	}
	name, err := s.readLine()
	if err != nil {
		return err
	}
	if len(mod) > maxNameLen || len(name) > maxNameLen || mod == "" || name == "" {
		return s.fail("bad GLOBAL operand")
	}
	s.res.Globals = append(s.res.Globals, Global{Module: mod, Name: name})
	return s.push(opaque, false)
}

// stackGlobal records a STACK_GLOBAL, whose operands must be string
// literals (or memoised strings), so the policy sees every name.
func (s *scanner) stackGlobal() error {
	if s.above() < 2 {
		return s.fail("stack underflow")
	}
	m, n := s.stack[len(s.stack)-2], s.stack[len(s.stack)-1]
	if !m.isStr() || !n.isStr() || m.len == 0 || n.len == 0 {
		return s.fail("STACK_GLOBAL operands are not string literals")
	}
	s.res.Globals = append(s.res.Globals, Global{Module: s.str(m), Name: s.str(n)})
	s.stack = s.stack[:len(s.stack)-2]
	return s.push(opaque, false)
}

func (s *scanner) str(it scanItem) string { return string(s.data[it.off : int(it.off)+int(it.len)]) }

// memoIndex reads the index argument of a PUT or GET opcode.
func (s *scanner) memoIndex(op byte, arg []byte) (uint64, error) {
	switch op {
	case opBINPUT, opBINGET:
		return uint64(arg[0]), nil
	case opLONG_BINPUT, opLONG_BINGET:
		return uint64(binary.LittleEndian.Uint32(arg)), nil
	case opMEMOIZE:
		return uint64(s.memo.n), nil
	}
	line, err := s.readLine() // PUT, GET
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(line, 10, 31)
	if err != nil {
		return 0, s.fail("bad memo index")
	}
	return v, nil
}

func (s *scanner) put(op byte, arg []byte) error {
	if s.above() < 1 {
		return s.fail("PUT on an empty stack")
	}
	idx, err := s.memoIndex(op, arg)
	if err != nil {
		return err
	}
	if !s.memo.put(idx, s.stack[len(s.stack)-1], s.budget.memo) {
		return s.fail("%w", limitErr("more than %d memo entries for a %d-byte pickle", s.budget.memo, len(s.data)))
	}
	return nil
}

func (s *scanner) get(op byte, arg []byte) error {
	idx, err := s.memoIndex(op, arg)
	if err != nil {
		return err
	}
	it, ok := s.memo.get(idx)
	if !ok {
		return s.fail("GET of undefined memo index %d", idx)
	}
	return s.push(it, false)
}

// scanMemo mirrors the unpickler's memo: a slice for the dense indexes
// picklers write (0, 1, 2, …), a map for anything else, so no hostile index
// makes a slice grow.
type scanMemo struct {
	dense  []scanItem
	sparse map[uint64]scanItem
	n      int // distinct entries, the next MEMOIZE index
}

func newScanMemo() *scanMemo { return &scanMemo{sparse: map[uint64]scanItem{}} }

// put stores it at idx; false when a new entry would exceed limit.
func (m *scanMemo) put(idx uint64, it scanItem, limit int) bool {
	if idx < uint64(len(m.dense)) {
		m.dense[idx] = it
		return true
	}
	if _, ok := m.sparse[idx]; ok {
		m.sparse[idx] = it
		return true
	}
	if m.n >= limit {
		return false
	}
	m.n++
	if idx == uint64(len(m.dense)) {
		m.dense = append(m.dense, it)
	} else {
		m.sparse[idx] = it
	}
	return true
}

func (m *scanMemo) get(idx uint64) (scanItem, bool) {
	if idx < uint64(len(m.dense)) {
		return m.dense[idx], true
	}
	it, ok := m.sparse[idx]
	return it, ok
}

// Pickle opcodes (Python's pickletools names).
const (
	opMARK            = '('
	opSTOP            = '.'
	opPOP             = '0'
	opPOP_MARK        = '1'
	opDUP             = '2'
	opFLOAT           = 'F'
	opINT             = 'I'
	opBININT          = 'J'
	opBININT1         = 'K'
	opLONG            = 'L'
	opBININT2         = 'M'
	opNONE            = 'N'
	opPERSID          = 'P'
	opBINPERSID       = 'Q'
	opREDUCE          = 'R'
	opSTRING          = 'S'
	opBINSTRING       = 'T'
	opSHORT_BINSTRING = 'U'
	opUNICODE         = 'V'
	opBINUNICODE      = 'X'
	opAPPEND          = 'a'
	opBUILD           = 'b'
	opGLOBAL          = 'c'
	opDICT            = 'd'
	opEMPTY_DICT      = '}'
	opAPPENDS         = 'e'
	opGET             = 'g'
	opBINGET          = 'h'
	opINST            = 'i'
	opLONG_BINGET     = 'j'
	opLIST            = 'l'
	opEMPTY_LIST      = ']'
	opOBJ             = 'o'
	opPUT             = 'p'
	opBINPUT          = 'q'
	opLONG_BINPUT     = 'r'
	opSETITEM         = 's'
	opTUPLE           = 't'
	opEMPTY_TUPLE     = ')'
	opSETITEMS        = 'u'
	opBINFLOAT        = 'G'

	opPROTO    = 0x80
	opNEWOBJ   = 0x81
	opEXT1     = 0x82
	opEXT2     = 0x83
	opEXT4     = 0x84
	opTUPLE1   = 0x85
	opTUPLE2   = 0x86
	opTUPLE3   = 0x87
	opNEWTRUE  = 0x88
	opNEWFALSE = 0x89
	opLONG1    = 0x8a
	opLONG4    = 0x8b

	opBINBYTES       = 'B'
	opSHORT_BINBYTES = 'C'

	opSHORT_BINUNICODE = 0x8c
	opBINUNICODE8      = 0x8d
	opBINBYTES8        = 0x8e
	opEMPTY_SET        = 0x8f
	opADDITEMS         = 0x90
	opFROZENSET        = 0x91
	opNEWOBJ_EX        = 0x92
	opSTACK_GLOBAL     = 0x93
	opMEMOIZE          = 0x94
	opFRAME            = 0x95

	opBYTEARRAY8      = 0x96
	opNEXT_BUFFER     = 0x97
	opREADONLY_BUFFER = 0x98
)
