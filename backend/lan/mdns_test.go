package lan

import (
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestAnnounceIPs(t *testing.T) {
	ifaces := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("192.168.1.20"), net.ParseIP("fe80::1"), net.ParseIP("10.0.0.5")}
	tests := []struct {
		addr string
		want []string
	}{
		{"127.0.0.1:8788", nil},
		{"[::1]:8788", nil},
		{"192.168.1.20:8788", []string{"192.168.1.20"}},
		{"0.0.0.0:8788", []string{"192.168.1.20", "10.0.0.5"}},
	}
	for _, tt := range tests {
		a, err := net.ResolveTCPAddr("tcp", tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ip := range announceIPs(a, ifaces) {
			got = append(got, ip.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: announces %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestAnnouncedRecords: a browser of _https._tcp on the local network
// finds "Quarry on HOST" at the sharing port and addresses, with the
// certificate's fingerprint to check.
func TestAnnouncedRecords(t *testing.T) {
	z, err := zone("ann-laptop.example.org", 8788, []net.IP{net.ParseIP("192.168.1.20")}, "ab12")
	if err != nil {
		t.Fatal(err)
	}
	ptr := z.Records(dns.Question{Name: "_https._tcp.local.", Qtype: dns.TypePTR, Qclass: dns.ClassINET})
	if len(ptr) == 0 || ptr[0].(*dns.PTR).Ptr != `Quarry\ on\ ann-laptop._https._tcp.local.` && ptr[0].(*dns.PTR).Ptr != "Quarry on ann-laptop._https._tcp.local." {
		t.Fatalf("PTR = %v", ptr)
	}
	inst := ptr[0].(*dns.PTR).Ptr
	var srv *dns.SRV
	var txt []string
	var a []string
	for _, rr := range z.Records(dns.Question{Name: inst, Qtype: dns.TypeANY, Qclass: dns.ClassINET}) {
		switch r := rr.(type) {
		case *dns.SRV:
			srv = r
		case *dns.TXT:
			txt = r.Txt
		case *dns.A:
			a = append(a, r.A.String())
		}
	}
	if srv == nil || srv.Port != 8788 || srv.Target != "ann-laptop.local." {
		t.Errorf("SRV = %v", srv)
	}
	if !slices.Contains(txt, "sha256=ab12") || !slices.Contains(txt, "path=/") {
		t.Errorf("TXT = %v", txt)
	}
	if !slices.Equal(a, []string{"192.168.1.20"}) {
		t.Errorf("A = %v", a)
	}
	if got := instanceName(""); got != "Quarry" {
		t.Errorf("no host name: %q", got)
	}
}

// TestLoopbackIsNotAnnounced: sharing on a loopback address (as every
// test here does) sends nothing to the network, whatever is asked.
func TestLoopbackIsNotAnnounced(t *testing.T) {
	ts := newTestServer(t, Options{Announce: true})
	if err := ts.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if st := ts.Status(); st.Announced != "" || st.AnnounceError != "" {
		t.Errorf("status = %+v, want no announcement", st)
	}
	ts.SetAnnounce(false)
	ts.SetAnnounce(true)
	if st := ts.Status(); !st.Running || st.Announced != "" || strings.Contains(st.Error, "announce") {
		t.Errorf("status after toggling = %+v", st)
	}
}
