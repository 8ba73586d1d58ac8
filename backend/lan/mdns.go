package lan

import (
	"fmt"
	"log"
	"net"
	"os"
	"strings"

	"github.com/hashicorp/mdns"
)

// Sharing is announced on the local network by multicast DNS service
// discovery (what Bonjour, Avahi and most browsers' "local network"
// views browse): an _https._tcp service "Quarry on HOST" at the sharing
// port, its TXT record carrying the path and the certificate's
// fingerprint so that a colleague can check what they found.

// mdnsService is the DNS-SD service type announced.
const mdnsService = "_https._tcp"

// announcement is a running mDNS responder.
type announcement struct {
	name string
	srv  *mdns.Server
}

// announceIPs are the addresses worth announcing for a listener on addr:
// none for loopback (nobody else can reach it), the listener's own for a
// specific address, every network address of this machine for all of
// them.
func announceIPs(addr net.Addr, ifaceIPs []net.IP) []net.IP {
	a, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil
	}
	if !a.IP.IsUnspecified() {
		if a.IP.IsLoopback() {
			return nil
		}
		return []net.IP{a.IP}
	}
	var out []net.IP
	for _, ip := range ifaceIPs {
		if !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
			out = append(out, ip)
		}
	}
	return out
}

// instanceName is the name colleagues see: "Quarry on HOST".
func instanceName(host string) string {
	host = strings.TrimSuffix(strings.SplitN(host, ".", 2)[0], ".")
	if host == "" {
		return "Quarry"
	}
	return "Quarry on " + host
}

// zone is the announced records for a listener on port at ips.
func zone(host string, port int, ips []net.IP, fingerprint string) (*mdns.MDNSService, error) {
	label := strings.SplitN(host, ".", 2)[0]
	if label == "" {
		label = "quarry"
	}
	txt := []string{"path=/", "app=quarry"}
	if fingerprint != "" {
		txt = append(txt, "sha256="+fingerprint)
	}
	return mdns.NewMDNSService(instanceName(host), mdnsService, "local.", label+".local.", port, ips, txt)
}

// announce starts answering mDNS queries for sharing on addr; it returns
// nil and no error where there is nothing to announce (loopback).
func announce(addr net.Addr, fingerprint string, logger *log.Logger) (*announcement, error) {
	ips := announceIPs(addr, localIPs())
	if len(ips) == 0 {
		return nil, nil
	}
	host, _ := os.Hostname()
	z, err := zone(host, addr.(*net.TCPAddr).Port, ips, fingerprint)
	if err != nil {
		return nil, fmt.Errorf("announce sharing: %w", err)
	}
	srv, err := mdns.NewServer(&mdns.Config{Zone: z, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("announce sharing on the local network: %w", err)
	}
	return &announcement{name: instanceName(host), srv: srv}, nil
}

func (a *announcement) stop() {
	if a != nil {
		_ = a.srv.Shutdown()
	}
}
