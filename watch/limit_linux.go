//go:build linux

package watch

import (
	"errors"
	"syscall"
)

// isWatchLimit recognises inotify's limits: inotify_add_watch fails with ENOSPC when
// fs.inotify.max_user_watches is reached, inotify_init with EMFILE when
// fs.inotify.max_user_instances is.
func isWatchLimit(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE)
}

const watchLimitHint = "raise the inotify limits: sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512 " +
	"(to keep it, put those settings in /etc/sysctl.d/90-ckptmeta.conf); each watched directory takes one watch"
