//go:build unix

package catalog

// unlinkWhileOpen: a Unix file may be removed while open; its descriptor keeps it readable and
// writable until closed, and the kernel frees it however the process ends.
const unlinkWhileOpen = true
