//go:build !unix

package catalog

// unlinkWhileOpen: Windows does not remove a file Go has open (os.Open shares no delete
// access), so the scratch file is removed when closed.
const unlinkWhileOpen = false
