package ckpt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Limits of the pre-scan. Real Lightning pickles stay far below them; they
// exist so that every later allocation by the decoder is bounded by the pickle
// size and a small multiple of the opcode count.
const (
	maxOps       = 1 << 22 // opcodes per pickle
	maxMarkDepth = 4096    // open MARKs at once (the decoder allocates per MARK)
	maxMemo      = 1 << 20 // memo entries
	maxStack     = 1 << 18 // stack depth (picklers batch APPENDS/SETITEMS by 1000)
	maxNameLen   = 1024    // module/name of a global
)

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
// tracked (for STACK_GLOBAL), everything else is opaque.
type scanItem struct {
	isStr    bool
	off, len int // the string is data[off:off+len]; no copy per opcode
}

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
	var (
		res      scanResult
		p        = start
		stack    = make([]scanItem, 0, 64)
		marks    []int // stack lengths at each MARK
		memo     = newScanMemo()
		frameEnd = -1 // end offset of the current FRAME, -1 if none
	)
	fail := func(off int, short bool, format string, args ...any) (scanResult, error) {
		err := fmt.Errorf(format, args...)
		if short {
			err = errShort
		}
		return res, &scanError{Off: off, Short: short, Err: err}
	}
	need := func(n int) bool { return n >= 0 && n <= len(data)-p }
	push := func(it scanItem) bool {
		if len(stack) >= maxStack {
			return false
		}
		stack = append(stack, it)
		return true
	}
	base := func() int {
		if len(marks) > 0 {
			return marks[len(marks)-1]
		}
		return 0
	}
	pop := func(n int) bool {
		if len(stack)-base() < n {
			return false
		}
		stack = stack[:len(stack)-n]
		return true
	}
	popMark := func() (int, bool) { // returns number of items above the mark
		if len(marks) == 0 {
			return 0, false
		}
		m := marks[len(marks)-1]
		marks = marks[:len(marks)-1]
		n := len(stack) - m
		stack = stack[:m]
		return n, true
	}
	readLine := func() (string, bool) {
		for i := p; i < len(data); i++ {
			if data[i] == '\n' {
				s := string(data[p:i])
				p = i + 1
				return s, true
			}
		}
		return "", false
	}

	for {
		if frameEnd >= 0 && p == frameEnd {
			frameEnd = -1
		}
		if p >= len(data) {
			return fail(p, true, "")
		}
		res.Ops++
		if res.Ops > maxOps {
			return fail(p, false, "%w", limitErr("more than %d pickle opcodes", maxOps))
		}
		opOff := p
		op := data[p]
		p++
		if literal {
			switch op {
			case opPROTO, opFRAME, opLONG1, opLONG4, opBININT, opBININT1, opBININT2, opINT, opLONG,
				opBINPUT, opLONG_BINPUT, opPUT, opMEMOIZE, opSTOP:
			default:
				return fail(opOff, false, "opcode 0x%02x not allowed in a literal", op)
			}
		}
		// fixed-size arguments
		argLen := 0
		switch op {
		case opBININT1, opBINGET, opBINPUT, opPROTO, opSHORT_BINSTRING, opSHORT_BINBYTES, opSHORT_BINUNICODE, opLONG1:
			argLen = 1
		case opBININT2:
			argLen = 2
		case opBININT, opLONG_BINGET, opLONG_BINPUT, opBINSTRING, opBINBYTES, opBINUNICODE, opLONG4:
			argLen = 4
		case opBINFLOAT, opFRAME, opBINUNICODE8, opBINBYTES8, opBYTEARRAY8:
			argLen = 8
		}
		if !need(argLen) {
			return fail(opOff, true, "")
		}
		arg := data[p : p+argLen]
		p += argLen
		// variable-size payloads
		var payload int64 = -1
		switch op {
		case opSHORT_BINSTRING, opSHORT_BINBYTES, opSHORT_BINUNICODE, opLONG1:
			payload = int64(arg[0])
		case opBINSTRING, opLONG4:
			payload = int64(int32(binary.LittleEndian.Uint32(arg)))
			if payload < 0 {
				return fail(opOff, false, "negative length %d", payload)
			}
		case opBINBYTES, opBINUNICODE:
			payload = int64(binary.LittleEndian.Uint32(arg))
		case opBINUNICODE8, opBINBYTES8, opBYTEARRAY8:
			u := binary.LittleEndian.Uint64(arg)
			if u > uint64(len(data)-p) {
				return fail(opOff, true, "")
			}
			payload = int64(u)
		}
		if payload >= 0 {
			if payload > int64(len(data)-p) {
				return fail(opOff, true, "")
			}
			if op == opLONG1 && payload == 0 {
				// gopickle indexes the last byte of an empty LONG1 payload.
				return fail(opOff, false, "empty LONG1")
			}
			if op == opLONG4 && payload == 0 {
				return fail(opOff, false, "empty LONG4")
			}
		}
		var strItem scanItem
		if payload >= 0 {
			if (op == opSHORT_BINUNICODE || op == opBINUNICODE || op == opBINUNICODE8 ||
				op == opSHORT_BINSTRING || op == opBINSTRING) && payload <= maxNameLen {
				strItem = scanItem{isStr: true, off: p, len: int(payload)} // longer: opaque, cannot name a global
			}
			p += int(payload)
		}
		if frameEnd >= 0 && p > frameEnd {
			return fail(opOff, false, "opcode crosses a frame boundary")
		}

		switch op {
		case opPROTO:
			if arg[0] > 5 {
				return fail(opOff, false, "unsupported pickle protocol %d", arg[0])
			}
			res.Ops-- // not a value-producing opcode; keep counts comparable
		case opFRAME:
			n := binary.LittleEndian.Uint64(arg)
			if n > uint64(len(data)-p) {
				return fail(opOff, true, "")
			}
			if frameEnd >= 0 {
				return fail(opOff, false, "frame inside a frame")
			}
			frameEnd = p + int(n)
		case opSTOP:
			if len(marks) != 0 || len(stack) != 1 {
				return fail(opOff, false, "STOP with %d stack items and %d open marks", len(stack), len(marks))
			}
			res.End = p
			return res, nil

		// push one value
		case opBININT, opBININT1, opBININT2, opLONG1, opLONG4, opBINFLOAT, opNONE, opNEWTRUE, opNEWFALSE,
			opEMPTY_LIST, opEMPTY_TUPLE, opEMPTY_DICT, opEMPTY_SET, opBINBYTES, opSHORT_BINBYTES,
			opBINBYTES8, opBYTEARRAY8:
			if !push(scanItem{}) {
				return fail(opOff, false, "%w", limitErr("stack deeper than %d", maxStack))
			}
		case opSHORT_BINSTRING, opBINSTRING, opSHORT_BINUNICODE, opBINUNICODE, opBINUNICODE8:
			if !push(strItem) {
				return fail(opOff, false, "%w", limitErr("stack deeper than %d", maxStack))
			}
		case opINT, opLONG, opFLOAT, opSTRING, opUNICODE:
			line, ok := readLine()
			if !ok {
				return fail(opOff, true, "")
			}
			switch op {
			case opINT, opLONG:
				l := line
				if op == opLONG && len(l) > 0 && l[len(l)-1] == 'L' {
					l = l[:len(l)-1]
				}
				if len(l) == 0 || len(l) > 4096 {
					return fail(opOff, false, "bad integer literal")
				}
				for i, c := range []byte(l) {
					if !(c >= '0' && c <= '9' || i == 0 && (c == '-' || c == '+')) {
						return fail(opOff, false, "bad integer literal")
					}
				}
			case opFLOAT:
				if _, err := strconv.ParseFloat(line, 64); err != nil {
					return fail(opOff, false, "bad float literal")
				}
			case opSTRING:
				if len(line) < 2 || line[0] != line[len(line)-1] || (line[0] != '\'' && line[0] != '"') {
					return fail(opOff, false, "bad STRING literal")
				}
			}
			if frameEnd >= 0 && p > frameEnd {
				return fail(opOff, false, "opcode crosses a frame boundary")
			}
			it := scanItem{}
			if op == opUNICODE && len(line) <= maxNameLen {
				it = scanItem{isStr: true, off: p - 1 - len(line), len: len(line)}
			}
			if !push(it) {
				return fail(opOff, false, "%w", limitErr("stack deeper than %d", maxStack))
			}
		case opGLOBAL:
			mod, ok1 := readLine()
			name, ok2 := readLine()
			if !ok1 || !ok2 {
				return fail(opOff, true, "")
			}
			if frameEnd >= 0 && p > frameEnd {
				return fail(opOff, false, "opcode crosses a frame boundary")
			}
			if len(mod) > maxNameLen || len(name) > maxNameLen || mod == "" || name == "" {
				return fail(opOff, false, "bad GLOBAL operand")
			}
			res.Globals = append(res.Globals, Global{Module: mod, Name: name})
			if !push(scanItem{}) {
				return fail(opOff, false, "%w", limitErr("stack deeper than %d", maxStack))
			}
		case opSTACK_GLOBAL:
			if len(stack)-base() < 2 {
				return fail(opOff, false, "stack underflow")
			}
			m, n := stack[len(stack)-2], stack[len(stack)-1]
			if !m.isStr || !n.isStr || m.len == 0 || n.len == 0 {
				return fail(opOff, false, "STACK_GLOBAL operands are not string literals")
			}
			res.Globals = append(res.Globals, Global{Module: string(data[m.off : m.off+m.len]), Name: string(data[n.off : n.off+n.len])})
			stack = stack[:len(stack)-2]
			push(scanItem{})
		case opMARK:
			if len(marks) >= maxMarkDepth {
				return fail(opOff, false, "%w", limitErr("more than %d nested MARKs", maxMarkDepth))
			}
			marks = append(marks, len(stack))
		case opTUPLE, opLIST, opDICT, opFROZENSET:
			n, ok := popMark()
			if !ok {
				return fail(opOff, false, "missing MARK")
			}
			if op == opDICT && n%2 != 0 {
				return fail(opOff, false, "odd number of dict items")
			}
			push(scanItem{})
		case opAPPENDS, opSETITEMS, opADDITEMS:
			n, ok := popMark()
			if !ok {
				return fail(opOff, false, "missing MARK")
			}
			if op == opSETITEMS && n%2 != 0 {
				return fail(opOff, false, "odd number of SETITEMS items")
			}
			if len(stack)-base() < 1 {
				return fail(opOff, false, "stack underflow")
			}
			stack[len(stack)-1] = scanItem{}
		case opPOP_MARK:
			if _, ok := popMark(); !ok {
				return fail(opOff, false, "missing MARK")
			}
		case opPOP:
			if len(stack)-base() == 0 {
				if _, ok := popMark(); !ok {
					return fail(opOff, false, "stack underflow")
				}
			} else {
				stack = stack[:len(stack)-1]
			}
		case opDUP:
			if len(stack)-base() < 1 {
				return fail(opOff, false, "stack underflow")
			}
			if !push(stack[len(stack)-1]) {
				return fail(opOff, false, "%w", limitErr("stack deeper than %d", maxStack))
			}
		case opAPPEND, opBUILD:
			if len(stack)-base() < 2 {
				return fail(opOff, false, "stack underflow")
			}
			stack = stack[:len(stack)-1]
			stack[len(stack)-1] = scanItem{}
		case opSETITEM:
			if len(stack)-base() < 3 {
				return fail(opOff, false, "stack underflow")
			}
			stack = stack[:len(stack)-2]
			stack[len(stack)-1] = scanItem{}
		case opTUPLE1, opTUPLE2, opTUPLE3, opREDUCE, opNEWOBJ, opNEWOBJ_EX, opBINPERSID:
			n := 1
			switch op {
			case opTUPLE2, opREDUCE, opNEWOBJ:
				n = 2
			case opTUPLE3, opNEWOBJ_EX:
				n = 3
			}
			if !pop(n) {
				return fail(opOff, false, "stack underflow")
			}
			push(scanItem{})
		case opBINPUT, opLONG_BINPUT, opPUT, opMEMOIZE:
			if len(stack)-base() < 1 {
				return fail(opOff, false, "PUT on an empty stack")
			}
			var idx uint64
			switch op {
			case opBINPUT:
				idx = uint64(arg[0])
			case opLONG_BINPUT:
				idx = uint64(binary.LittleEndian.Uint32(arg))
			case opMEMOIZE:
				idx = uint64(memo.n)
			case opPUT:
				line, ok := readLine()
				if !ok {
					return fail(opOff, true, "")
				}
				v, err := strconv.ParseUint(line, 10, 31)
				if err != nil {
					return fail(opOff, false, "bad PUT index")
				}
				idx = v
			}
			if !memo.put(idx, stack[len(stack)-1]) {
				return fail(opOff, false, "%w", limitErr("more than %d memo entries", maxMemo))
			}
		case opBINGET, opLONG_BINGET, opGET:
			var idx uint64
			switch op {
			case opBINGET:
				idx = uint64(arg[0])
			case opLONG_BINGET:
				idx = uint64(binary.LittleEndian.Uint32(arg))
			case opGET:
				line, ok := readLine()
				if !ok {
					return fail(opOff, true, "")
				}
				v, err := strconv.ParseUint(line, 10, 31)
				if err != nil {
					return fail(opOff, false, "bad GET index")
				}
				idx = v
			}
			it, ok := memo.get(idx)
			if !ok {
				return fail(opOff, false, "GET of undefined memo index %d", idx)
			}
			if !push(it) {
				return fail(opOff, false, "%w", limitErr("stack deeper than %d", maxStack))
			}
		case opEXT1, opEXT2, opEXT4:
			return fail(opOff, false, "extension codes are not supported")
		case opINST, opOBJ:
			return fail(opOff, false, "INST/OBJ opcodes are not supported")
		case opPERSID:
			return fail(opOff, false, "text persistent ids are not supported")
		case opNEXT_BUFFER, opREADONLY_BUFFER:
			return fail(opOff, false, "out-of-band buffers are not supported")
		default:
			return fail(opOff, false, "unknown opcode 0x%02x", op)
		}
	}
}

// scanMemo mirrors the unpickler's memo: a slice for the dense indexes
// picklers write, a map for anything else.
type scanMemo struct {
	dense  []scanItem
	set    []bool
	sparse map[uint64]scanItem
	n      int // distinct entries, the next MEMOIZE index
}

func newScanMemo() *scanMemo { return &scanMemo{sparse: map[uint64]scanItem{}} }

func (m *scanMemo) put(idx uint64, it scanItem) bool {
	if _, ok := m.sparse[idx]; ok {
		m.sparse[idx] = it
		return true
	}
	if idx < uint64(len(m.dense))+1024 { // dense growth only near the end: no huge slices from one index
		for uint64(len(m.dense)) <= idx {
			m.dense = append(m.dense, scanItem{})
			m.set = append(m.set, false)
		}
		if !m.set[idx] {
			if m.n >= maxMemo {
				return false
			}
			m.set[idx] = true
			m.n++
		}
		m.dense[idx] = it
		return true
	}
	if m.n >= maxMemo {
		return false
	}
	m.n++
	m.sparse[idx] = it
	return true
}

func (m *scanMemo) get(idx uint64) (scanItem, bool) {
	if idx < uint64(len(m.dense)) && m.set[idx] {
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
