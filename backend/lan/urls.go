package lan

import (
	"net"
	"os"
	"strconv"
	"strings"
)

// URLs lists the addresses colleagues can open for a listener bound to
// addr, the most useful first. For a listener on all interfaces (0.0.0.0 or
// ::) that is each IPv4 address of this machine's networks, then its host
// name, then loopback; for a listener on one address, just that address.
func URLs(addr net.Addr) []string {
	host, _ := os.Hostname()
	return urlsFor(addr, localIPs(), host)
}

// urlsFor is URLs over a given list of interface addresses and host name.
func urlsFor(addr net.Addr, ifaceIPs []net.IP, hostname string) []string {
	if addr == nil {
		return nil
	}
	var ip net.IP
	var zone string
	var port int
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip, zone, port = a.IP, a.Zone, a.Port
	default:
		h, p, err := net.SplitHostPort(addr.String())
		if err != nil {
			return nil
		}
		if i := strings.IndexByte(h, '%'); i >= 0 {
			h, zone = h[:i], h[i+1:]
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		port = n
		if ip = net.ParseIP(h); ip == nil {
			if h == "" {
				ip = net.IPv4zero
			} else {
				return []string{httpsURL(h, port)}
			}
		}
	}
	if ip != nil && !ip.IsUnspecified() {
		h := ip.String()
		if zone != "" {
			h += "%25" + zone // RFC 6874: the zone's "%" is escaped in URLs
		}
		return []string{httpsURL(h, port)}
	}

	var out []string
	seen := map[string]bool{}
	add := func(host string) {
		u := httpsURL(host, port)
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	// Routable addresses before link-local ones: a 169.254 address is only
	// reachable when there is no real network.
	for _, linkLocal := range []bool{false, true} {
		for _, ip := range ifaceIPs {
			v4 := ip.To4()
			if v4 == nil || v4.IsLoopback() || v4.IsUnspecified() {
				continue
			}
			if v4.IsGlobalUnicast() && !linkLocal || v4.IsLinkLocalUnicast() && linkLocal {
				add(v4.String())
			}
		}
	}
	if hostname != "" && !strings.EqualFold(hostname, "localhost") {
		add(hostname)
	}
	add("127.0.0.1")
	return out
}

func httpsURL(host string, port int) string {
	if strings.IndexByte(host, ':') >= 0 {
		host = "[" + host + "]"
	}
	return "https://" + host + ":" + strconv.Itoa(port)
}

// localIPs is every non-loopback unicast address of the interfaces that are
// up, with those of virtual interfaces (containers, VMs, VPN bridges) last so
// that the first URL is the one colleagues can most likely reach.
func localIPs() []net.IP {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var real, virtual []net.IP
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok || n.IP.IsLoopback() || !(n.IP.IsGlobalUnicast() || n.IP.IsLinkLocalUnicast()) {
				continue
			}
			if isVirtual(ifc.Name) {
				virtual = append(virtual, n.IP)
			} else {
				real = append(real, n.IP)
			}
		}
	}
	return append(real, virtual...)
}

func isVirtual(name string) bool {
	for _, p := range []string{"docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "cni", "flannel", "podman", "lxc", "lxd"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
