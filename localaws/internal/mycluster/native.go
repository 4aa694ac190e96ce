package mycluster

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// NativePasswordHash is the mysql_native_password hash MariaDB and MySQL
// store for a password: "*" and the upper-case hex of SHA1(SHA1(password)).
// Handing the server the hash (IDENTIFIED BY PASSWORD) keeps the plaintext
// out of its memory and logs, and lets the emulator persist a pending
// password without its plaintext.
func NativePasswordHash(password string) string {
	first := sha1.Sum([]byte(password))
	second := sha1.Sum(first[:])
	return "*" + strings.ToUpper(hex.EncodeToString(second[:]))
}
