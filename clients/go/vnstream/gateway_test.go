package vnstream

import (
	"context"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	v1 "github.com/vnstream/vnstream/clients/go/gen/vnstream/v1"
)

// The client against a real gateway (VNSTREAM_GATEWAY=host:port, fed with
// FPT, VCB and HPG by tests/clients_test.cc). Skipped without it, unless
// VNSTREAM_REQUIRE_GATEWAY=1.
func gateway(t *testing.T) *Client {
	t.Helper()
	target := os.Getenv("VNSTREAM_GATEWAY")
	if target == "" {
		if os.Getenv("VNSTREAM_REQUIRE_GATEWAY") == "1" {
			t.Fatal("VNSTREAM_REQUIRE_GATEWAY=1 but VNSTREAM_GATEWAY is unset")
		}
		t.Skip("VNSTREAM_GATEWAY unset")
	}
	client, err := Dial(gatewayOptions(target))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// How to reach `target`: the gateway's CA and the test's API key come from
// VNSTREAM_ROOT_CA and VNSTREAM_API_KEY (the gateway serves TLS and wants a
// key).
func gatewayOptions(target string) Options {
	o := OptionsFromEnv()
	o.Target = target
	return o
}

func TestGatewayQuotesAndListing(t *testing.T) {
	client := gateway(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	quotes, err := client.GetQuotes(ctx, &v1.GetQuotesRequest{Symbols: []string{"FPT", "VCB", "ZZZ999"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(quotes.GetItems()) != 2 || quotes.GetItems()[0].GetQuote().GetMeta().GetSymbol() != "FPT" {
		t.Fatalf("items %v", quotes.GetItems())
	}
	for _, item := range quotes.GetItems() {
		q := item.GetQuote()
		if q.GetExchange() != v1.Exchange_EXCHANGE_HOSE || q.GetReferencePrice().GetUnits() <= 0 ||
			q.GetCeilingPrice().GetUnits() <= q.GetFloorPrice().GetUnits() {
			t.Errorf("quote %v", q)
		}
	}
	if m := quotes.GetMissing(); len(m) != 1 || m[0].GetSymbol() != "ZZZ999" {
		t.Errorf("missing %v", m)
	}
	listing, err := client.ListSymbols(ctx, &v1.ListSymbolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	var names []string
	for _, s := range listing.GetSymbols() {
		have[s.GetSymbol()] = true
		names = append(names, s.GetSymbol())
	}
	if !have["FPT"] || !have["VCB"] || !have["HPG"] || !sort.StringsAreSorted(names) {
		t.Errorf("ListSymbols %v", names)
	}
}

// proxy forwards TCP to the gateway; cut closes every connection (a real
// disconnect under a live stream).
type proxy struct {
	listener net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	accepted int
}

func newProxy(t *testing.T, upstream string) *proxy {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{listener: listener}
	t.Cleanup(func() { listener.Close(); p.cut() })
	go func() {
		for {
			down, err := listener.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				down.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, down, up)
			p.accepted++
			p.mu.Unlock()
			go func() { io.Copy(up, down); up.Close(); down.Close() }()
			go func() { io.Copy(down, up); up.Close(); down.Close() }()
		}
	}()
	return p
}

func (p *proxy) cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (p *proxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// A stream that resumes after its connection to the gateway is cut: no
// record twice, none out of order, no gap (what the gateway skipped while the
// client reconnected is reported as conflated, not lost).
func TestGatewaySubscriberResumesAfterDisconnect(t *testing.T) {
	p := newProxy(t, gateway(t).Conn.Target())
	client, err := Dial(gatewayOptions(p.listener.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s, err := NewSubscriber(client, v1.Channel_CHANNEL_QUOTES, []string{"FPT", "HPG"},
		SubscribeOptions{Heartbeat: time.Second, InitialBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	seen := map[string][]uint64{}
	cut := map[string]uint64{}
	after := map[string]bool{}
	err = s.Run(ctx, func(e *v1.MarketEvent) error {
		q := e.GetQuote()
		if q == nil {
			return nil
		}
		symbol := q.GetMeta().GetSymbol()
		seen[symbol] = append(seen[symbol], q.GetMeta().GetSeq())
		if len(cut) > 0 && !e.GetSnapshot() && q.GetMeta().GetSeq() > cut[symbol] {
			after[symbol] = true
			if len(after) == 2 {
				cancel()
			}
		}
		if len(cut) == 0 && len(seen["FPT"]) >= 3 && len(seen["HPG"]) >= 3 {
			for sym, seqs := range seen {
				cut[sym] = seqs[len(seqs)-1]
			}
			p.cut()
		}
		return nil
	})
	if len(after) != 2 {
		t.Fatalf("no live quotes after the cut %v: %v (Run: %v)", cut, seen, err)
	}
	if s.Reconnects() < 1 || p.connections() < 2 {
		t.Errorf("reconnects %d, connections %d", s.Reconnects(), p.connections())
	}
	for symbol, seqs := range seen {
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Errorf("%s: seqs not increasing: %v", symbol, seqs)
			}
		}
	}
	if len(s.Gaps()) != 0 {
		t.Errorf("gaps %v", s.Gaps())
	}
}
