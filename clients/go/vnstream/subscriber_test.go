package vnstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	v1 "github.com/vnstream/vnstream/clients/go/gen/vnstream/v1"
)

// script is what one SubscribeQuotes call sends, then how it ends (OK:
// stays open until cancelled).
type script struct {
	events []*v1.MarketEvent
	end    codes.Code
}

// fakeGateway serves scripted quote streams and records requests.
type fakeGateway struct {
	v1.UnimplementedMarketDataServiceServer
	mu       sync.Mutex
	scripts  []script
	requests []*v1.SubscribeRequest
	metadata []metadata.MD
}

func (f *fakeGateway) GetQuotes(ctx context.Context, r *v1.GetQuotesRequest) (*v1.GetQuotesResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.metadata = append(f.metadata, md)
	f.mu.Unlock()
	return &v1.GetQuotesResponse{}, nil
}

func (f *fakeGateway) SubscribeQuotes(r *v1.SubscribeRequest, s grpc.ServerStreamingServer[v1.MarketEvent]) error {
	f.mu.Lock()
	f.requests = append(f.requests, r)
	sc := script{end: codes.OK}
	if len(f.scripts) > 0 {
		sc, f.scripts = f.scripts[0], f.scripts[1:]
	}
	f.mu.Unlock()
	for _, e := range sc.events {
		if err := s.Send(e); err != nil {
			return err
		}
	}
	if sc.end != codes.OK {
		return status.Error(sc.end, "scripted")
	}
	<-s.Context().Done()
	return nil
}

func quote(symbol string, seq uint64, conflated uint32, delivery v1.Delivery) *v1.MarketEvent {
	return &v1.MarketEvent{
		Payload: &v1.MarketEvent_Quote{Quote: &v1.Quote{
			Meta:      &v1.RecordMeta{Symbol: symbol, Seq: seq},
			LastPrice: &v1.Decimal{Units: 131000 + int64(seq)*100}}},
		Delivery: delivery, Conflated: conflated, Channel: v1.Channel_CHANNEL_QUOTES}
}

func kafka(symbol string, seq uint64) *v1.MarketEvent {
	return quote(symbol, seq, 0, v1.Delivery_DELIVERY_KAFKA)
}

func startFake(t *testing.T, f *fakeGateway, opts ...grpc.ServerOption) *Client {
	t.Helper()
	listener := bufconn.Listen(1 << 20)
	server := grpc.NewServer(opts...)
	v1.RegisterMarketDataServiceServer(server, f)
	go server.Serve(listener)
	t.Cleanup(server.Stop)
	conn, err := grpc.NewClient("passthrough:///fake",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return listener.DialContext(ctx)
		}), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &Client{Conn: conn, MarketDataServiceClient: v1.NewMarketDataServiceClient(conn)}
}

// collect runs s until n quotes arrived (or 20 s); returns their (symbol, seq).
func collect(t *testing.T, s *Subscriber, n int) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	done := errors.New("done")
	err := s.Run(ctx, func(e *v1.MarketEvent) error {
		if q := e.GetQuote(); q != nil {
			got = append(got, q.GetMeta().GetSymbol()+"#"+fmt.Sprint(q.GetMeta().GetSeq()))
			if len(got) == n {
				return done
			}
		}
		return nil
	})
	if errors.Is(err, done) {
		err = nil
	}
	return got, err
}

func fastOptions() SubscribeOptions {
	return SubscribeOptions{InitialBackoff: 10 * time.Millisecond, Heartbeat: 2 * time.Second}
}

func TestResumesWithSinceSeqAndDropsDuplicates(t *testing.T) {
	f := &fakeGateway{scripts: []script{
		{[]*v1.MarketEvent{kafka("FPT", 5), kafka("VCB", 9), kafka("FPT", 6)}, codes.Unavailable},
		{[]*v1.MarketEvent{kafka("FPT", 6), kafka("FPT", 7), kafka("VCB", 10)}, codes.OK},
	}}
	client := startFake(t, f)
	s, err := NewSubscriber(client, v1.Channel_CHANNEL_QUOTES, []string{"fpt", "VCB"}, fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, err := collect(t, s, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"FPT#5", "VCB#9", "FPT#6", "FPT#7", "VCB#10"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if s.Reconnects() != 1 || len(s.Gaps()) != 0 {
		t.Errorf("reconnects %d gaps %v", s.Reconnects(), s.Gaps())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests[0].GetSinceSeq()) != 0 || !reflect.DeepEqual(f.requests[0].GetSymbols(), []string{"FPT", "VCB"}) {
		t.Errorf("first request %v", f.requests[0])
	}
	if f.requests[0].GetHeartbeatInterval().AsDuration() != 2*time.Second {
		t.Errorf("heartbeat %v", f.requests[0].GetHeartbeatInterval())
	}
	if want := map[string]uint64{"FPT": 6, "VCB": 9}; !reflect.DeepEqual(f.requests[1].GetSinceSeq(), want) {
		t.Errorf("resume since_seq %v, want %v", f.requests[1].GetSinceSeq(), want)
	}
}

func TestGapsCountOnlyWhatConflationDoesNotExplain(t *testing.T) {
	f := &fakeGateway{scripts: []script{{[]*v1.MarketEvent{
		kafka("FPT", 1),
		quote("FPT", 4, 2, v1.Delivery_DELIVERY_KAFKA),             // 2, 3 conflated
		quote("FPT", 8, 1, v1.Delivery_DELIVERY_KAFKA),             // 5..7: 1 conflated, 2 lost
		quote("FPT", 40, 0, v1.Delivery_DELIVERY_VNSTOCK_FALLBACK), // new numbering
		quote("FPT", 2, 0, v1.Delivery_DELIVERY_KAFKA),             // and again
	}, codes.OK}}}
	client := startFake(t, f)
	var seen []Gap
	opts := fastOptions()
	opts.OnGap = func(g Gap) { seen = append(seen, g) }
	s, _ := NewSubscriber(client, v1.Channel_CHANNEL_QUOTES, []string{"FPT"}, opts)
	if _, err := collect(t, s, 5); err != nil {
		t.Fatal(err)
	}
	want := []Gap{{Symbol: "FPT", PreviousSeq: 4, Seq: 8, Lost: 2}}
	if !reflect.DeepEqual(s.Gaps(), want) || !reflect.DeepEqual(seen, want) {
		t.Errorf("gaps %v, OnGap %v, want %v", s.Gaps(), seen, want)
	}
}

func TestFailedPreconditionResubscribesFresh(t *testing.T) {
	f := &fakeGateway{scripts: []script{
		{[]*v1.MarketEvent{kafka("FPT", 3)}, codes.Unavailable},
		{nil, codes.FailedPrecondition},
		{[]*v1.MarketEvent{kafka("FPT", 50)}, codes.OK},
	}}
	s, _ := NewSubscriber(startFake(t, f), v1.Channel_CHANNEL_QUOTES, []string{"FPT"}, fastOptions())
	got, err := collect(t, s, 2)
	if err != nil || !reflect.DeepEqual(got, []string{"FPT#3", "FPT#50"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	since := []map[string]uint64{}
	for _, r := range f.requests {
		since = append(since, r.GetSinceSeq())
	}
	// Compared as text: an empty map arrives as nil.
	if want := []map[string]uint64{{}, {"FPT": 3}, {}}; fmt.Sprint(since) != fmt.Sprint(want) {
		t.Errorf("since_seq per request %v, want %v", since, want)
	}
	if s.Resyncs() != 1 || len(s.Gaps()) != 0 {
		t.Errorf("resyncs %d gaps %v", s.Resyncs(), s.Gaps())
	}
}

func TestFatalErrorsAreReturned(t *testing.T) {
	for _, code := range []codes.Code{codes.InvalidArgument, codes.Unauthenticated, codes.ResourceExhausted} {
		f := &fakeGateway{scripts: []script{{[]*v1.MarketEvent{kafka("FPT", 1)}, code}}}
		s, _ := NewSubscriber(startFake(t, f), v1.Channel_CHANNEL_QUOTES, []string{"FPT"}, fastOptions())
		_, err := collect(t, s, 2)
		if status.Code(err) != code {
			t.Errorf("%v: got %v", code, err)
		}
	}
}

func TestSlowConsumerResumes(t *testing.T) {
	slow := &v1.MarketEvent{Payload: &v1.MarketEvent_Status{Status: &v1.SymbolStatus{
		State: v1.SymbolState_SYMBOL_STATE_SLOW_CONSUMER}}}
	f := &fakeGateway{scripts: []script{
		{[]*v1.MarketEvent{kafka("FPT", 1), slow}, codes.ResourceExhausted},
		{[]*v1.MarketEvent{kafka("FPT", 2)}, codes.OK},
	}}
	s, _ := NewSubscriber(startFake(t, f), v1.Channel_CHANNEL_QUOTES, []string{"FPT"}, fastOptions())
	if got, err := collect(t, s, 2); err != nil || !reflect.DeepEqual(got, []string{"FPT#1", "FPT#2"}) {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestHistoryPendingThenEnrichedSameSeq(t *testing.T) {
	s, _ := NewSubscriber(nil, v1.Channel_CHANNEL_HISTORY, []string{"FPT"}, SubscribeOptions{})
	history := func(seq uint64, state v1.IndicatorsState) *v1.MarketEvent {
		return &v1.MarketEvent{Payload: &v1.MarketEvent_History{History: &v1.HistoryUpdate{
			Meta: &v1.RecordMeta{Symbol: "FPT", Seq: seq}, IndicatorsState: state}}}
	}
	steps := []struct {
		event *v1.MarketEvent
		want  bool
	}{
		{history(4, v1.IndicatorsState_INDICATORS_STATE_ANALYTICS), true},
		{history(5, v1.IndicatorsState_INDICATORS_STATE_PENDING), true},
		{history(5, v1.IndicatorsState_INDICATORS_STATE_PENDING), false},
		{history(5, v1.IndicatorsState_INDICATORS_STATE_ANALYTICS), true},
		{history(5, v1.IndicatorsState_INDICATORS_STATE_ANALYTICS), false},
	}
	for i, step := range steps {
		if i == 2 {
			if got := s.request().GetSinceSeq()["FPT"]; got != 4 {
				t.Errorf("pending resume point %d, want 4", got)
			}
		}
		if ok, _ := s.accept(step.event); ok != step.want {
			t.Errorf("step %d: accepted %v, want %v", i, ok, step.want)
		}
	}
	if len(s.Gaps()) != 0 {
		t.Errorf("gaps %v", s.Gaps())
	}
}

func TestAPIKeyMetadataAndPlaintextOnlyToLoopback(t *testing.T) {
	if _, err := (Options{Target: "gateway.example:50051", APIKey: "k"}).DialOptions(); err == nil {
		t.Error("a key over plaintext to a non-loopback target was accepted")
	}
	f := &fakeGateway{}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	v1.RegisterMarketDataServiceServer(server, f)
	go server.Serve(listener)
	defer server.Stop()
	client, err := Dial(Options{Target: listener.Addr().String(), APIKey: "k-123"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.GetQuotes(ctx, &v1.GetQuotesRequest{Symbols: []string{"FPT"}}); err != nil {
		t.Fatal(err)
	}
	if got := f.metadata[0].Get("authorization"); !reflect.DeepEqual(got, []string{"Bearer k-123"}) {
		t.Errorf("authorization %v", got)
	}
}

func TestFormatDecimal(t *testing.T) {
	for _, c := range []struct {
		d    *v1.Decimal
		want string
	}{{&v1.Decimal{Units: 32600}, "32600"}, {&v1.Decimal{Units: 131300, Nanos: 500000000}, "131300.5"},
		{&v1.Decimal{Units: -1, Nanos: -250000000}, "-1.25"}, {&v1.Decimal{Nanos: -5}, "-0.000000005"}} {
		if got := FormatDecimal(c.d); got != c.want {
			t.Errorf("FormatDecimal(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
