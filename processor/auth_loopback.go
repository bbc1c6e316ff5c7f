package processor

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// refuseNonLocal decides, in loopback-only mode, whether r comes from a
// process on this machine acting for its user. It returns "" when it does,
// and otherwise a machine-readable reason and a message for the caller.
//
// A loopback source address is not enough on its own: a reverse proxy on the
// same machine relays remote callers from a loopback address (it adds
// Forwarded or X-Forwarded-For), a web page can reach 127.0.0.1 through DNS
// rebinding (its Host is then the attacker's name), and any web page can send
// a simple cross-site POST (the browser marks it with Sec-Fetch-Site or
// Origin).
func (a *Authenticator) refuseNonLocal(r *http.Request) (reason, message string) {
	const fix = "; configure auth.tokens to serve other callers"
	if !isLoopbackAddr(r.RemoteAddr) {
		return "loopback_only", "no auth tokens are configured, so only loopback callers are served" + fix
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return "proxied", "no auth tokens are configured, so proxied requests (" + h + " header) are refused" + fix
		}
	}
	if !isLoopbackHost(r.Host) {
		return "host_not_loopback", "no auth tokens are configured, so requests must name a loopback host (localhost, 127.0.0.1, [::1])" + fix
	}
	if err := a.crossOrigin.Check(r); err != nil {
		return "cross_origin", "no auth tokens are configured, so cross-origin browser requests are refused" + fix
	}
	return "", ""
}

// isLoopbackAddr reports whether the host of a RemoteAddr ("ip:port") is a
// loopback address (127.0.0.0/8, ::1, or IPv4-mapped loopback).
func isLoopbackAddr(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// isLoopbackHost reports whether a Host header names this machine's loopback
// interface: localhost (or a name under .localhost) or a loopback address,
// with or without a port.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil && ip.Unmap().IsLoopback()
}
