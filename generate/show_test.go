package generate

import (
	"encoding/json"
	"fmt"
)

// show renders a value readably in failure messages (pointers followed).
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}
