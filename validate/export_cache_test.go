package validate

import "time"

// racyWindowForTest is resultcache's racy window (2 s): records of files changed less than
// this before they were read are confirmed by content on the next run.
const racyWindowForTest = 2 * time.Second
