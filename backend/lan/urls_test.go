package lan

import (
	"net"
	"slices"
	"testing"
)

type strAddr string

func (a strAddr) Network() string { return "tcp" }
func (a strAddr) String() string  { return string(a) }

func TestURLsFor(t *testing.T) {
	ifaces := []net.IP{
		net.ParseIP("169.254.3.4"),
		net.ParseIP("192.168.1.5"),
		net.ParseIP("fe80::1"),
		net.ParseIP("10.0.0.2"),
		net.ParseIP("2001:db8::1"),
		net.ParseIP("127.0.0.1"),
		net.ParseIP("192.168.1.5"),
	}
	all := []string{
		"https://192.168.1.5:8788",
		"https://10.0.0.2:8788",
		"https://169.254.3.4:8788",
		"https://desk:8788",
		"https://127.0.0.1:8788",
	}
	tests := []struct {
		name     string
		addr     net.Addr
		ifaces   []net.IP
		hostname string
		want     []string
	}{
		{"all IPv4", &net.TCPAddr{IP: net.IPv4zero, Port: 8788}, ifaces, "desk", all},
		{"all IPv6 (dual stack)", &net.TCPAddr{IP: net.IPv6unspecified, Port: 8788}, ifaces, "desk", all},
		{"nil IP means all", &net.TCPAddr{Port: 8788}, ifaces, "desk", all},
		{"no network", &net.TCPAddr{IP: net.IPv4zero, Port: 8788}, nil, "desk", []string{"https://desk:8788", "https://127.0.0.1:8788"}},
		{"no hostname", &net.TCPAddr{IP: net.IPv4zero, Port: 8788}, nil, "", []string{"https://127.0.0.1:8788"}},
		{"hostname localhost", &net.TCPAddr{IP: net.IPv4zero, Port: 8788}, nil, "localhost", []string{"https://127.0.0.1:8788"}},
		{"hostname used as-is", &net.TCPAddr{IP: net.IPv4zero, Port: 1}, nil, "Desk.lan", []string{"https://Desk.lan:1", "https://127.0.0.1:1"}},
		{"one IPv4", &net.TCPAddr{IP: net.ParseIP("192.168.1.5"), Port: 8788}, ifaces, "desk", []string{"https://192.168.1.5:8788"}},
		{"loopback", &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 40123}, ifaces, "desk", []string{"https://127.0.0.1:40123"}},
		{"one IPv6", &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 8788}, ifaces, "desk", []string{"https://[2001:db8::1]:8788"}},
		{"IPv6 with zone", &net.TCPAddr{IP: net.ParseIP("fe80::1"), Zone: "eth0", Port: 8788}, ifaces, "desk", []string{"https://[fe80::1%25eth0]:8788"}},
		{"other net.Addr, all", strAddr("0.0.0.0:8788"), ifaces, "desk", all},
		{"other net.Addr, one", strAddr("192.168.1.5:8788"), ifaces, "desk", []string{"https://192.168.1.5:8788"}},
		{"other net.Addr, garbage", strAddr("nonsense"), ifaces, "desk", nil},
		{"nil", nil, ifaces, "desk", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := urlsFor(tt.addr, tt.ifaces, tt.hostname)
			if !slices.Equal(got, tt.want) {
				t.Errorf("urlsFor(%v) =\n  %q\nwant\n  %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestURLsOfRealLoopbackListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := URLs(ln.Addr())
	want := []string{"https://" + ln.Addr().String()}
	if !slices.Equal(got, want) {
		t.Errorf("URLs = %q, want %q", got, want)
	}
}
