package dbhost

import (
	"os"
	"strings"
)

// tailLen is how much of a log or a tool's output an error carries: enough
// for the server's last complaint, not a whole start-up log.
const tailLen = 1500

// Tail is the last tailLen bytes of s.
func Tail(s string) string {
	if len(s) > tailLen {
		return s[len(s)-tailLen:]
	}
	return s
}

// LogTail returns the end of the log file at path, on a line of its own,
// to append to the error of a failed start; "" when there is none.
func LogTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return ""
	}
	return "\n" + strings.TrimSpace(Tail(string(data)))
}
