package dbhost

import (
	"net"
	"strconv"
)

// FreePort asks the kernel for a free TCP port on 127.0.0.1. Another
// process may take it before the server binds it; the clusters' Start
// then moves on to another one.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// PortFree reports whether port can be bound on 127.0.0.1 right now.
func PortFree(port int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
