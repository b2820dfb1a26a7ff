package vnstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	v1 "github.com/vnstream/vnstream/clients/go/gen/vnstream/v1"
)

// Gap: records of Symbol after PreviousSeq and before Seq that never reached
// the gateway (Lost of them): seq - previous seq - 1 - conflated > 0.
type Gap struct {
	Symbol      string
	PreviousSeq uint64
	Seq         uint64
	Lost        uint64
}

// SubscribeOptions tune a Subscriber; zero values take the defaults.
type SubscribeOptions struct {
	// Heartbeat period on an idle stream (default 15 s).
	Heartbeat time.Duration
	// Reconnect backoff: from InitialBackoff (default 200 ms), doubling up
	// to MaxBackoff (default 10 s), with jitter; reset by any event.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// Called (on the Run goroutine) for each gap.
	OnGap func(Gap)
}

type position struct {
	seq      uint64
	delivery v1.Delivery
	date     [3]int32
	// History: the record came without indicators (PENDING); its enriched
	// version follows with the same seq.
	pending bool
}

// Subscriber is a resuming subscription of one channel. Run streams events
// to a callback and, when the stream ends (network, gateway restart,
// SLOW_CONSUMER), subscribes again with since_seq so the replay continues
// where it stopped and no record is delivered twice. FAILED_PRECONDITION
// (the resume point left the gateway's cache) starts over with a fresh
// snapshot (counted in Resyncs). The counters may be read from other
// goroutines.
type Subscriber struct {
	client  v1.MarketDataServiceClient
	channel v1.Channel
	symbols []string
	opts    SubscribeOptions

	mu           sync.Mutex
	positions    map[string]position
	gaps         []Gap
	resyncs      int
	reconnects   int
	slowConsumer bool
}

// NewSubscriber subscribes `symbols` of `channel` (CHANNEL_QUOTES, ...) once
// Run is called.
func NewSubscriber(client v1.MarketDataServiceClient, channel v1.Channel, symbols []string,
	opts SubscribeOptions) (*Subscriber, error) {
	if _, ok := methods[channel]; !ok {
		return nil, fmt.Errorf("vnstream: channel %v has no server stream", channel)
	}
	upper := make([]string, len(symbols))
	for i, s := range symbols {
		upper[i] = strings.ToUpper(strings.TrimSpace(s))
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.InitialBackoff == 0 {
		opts.InitialBackoff = 200 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 10 * time.Second
	}
	return &Subscriber{client: client, channel: channel, symbols: upper, opts: opts,
		positions: map[string]position{}}, nil
}

type streamFunc func(context.Context, *v1.SubscribeRequest, ...grpc.CallOption) (
	grpc.ServerStreamingClient[v1.MarketEvent], error)

var methods = map[v1.Channel]func(v1.MarketDataServiceClient) streamFunc{
	v1.Channel_CHANNEL_QUOTES:             func(c v1.MarketDataServiceClient) streamFunc { return c.SubscribeQuotes },
	v1.Channel_CHANNEL_INTRADAY_BARS:      func(c v1.MarketDataServiceClient) streamFunc { return c.SubscribeIntradayBars },
	v1.Channel_CHANNEL_HISTORY:            func(c v1.MarketDataServiceClient) streamFunc { return c.SubscribeHistory },
	v1.Channel_CHANNEL_INTRADAY_ANALYTICS: func(c v1.MarketDataServiceClient) streamFunc { return c.SubscribeIntradayAnalytics },
	v1.Channel_CHANNEL_MARKET:             func(c v1.MarketDataServiceClient) streamFunc { return c.SubscribeMarket },
	v1.Channel_CHANNEL_SIGNALS:            func(c v1.MarketDataServiceClient) streamFunc { return c.SubscribeSignals },
}

// EventMeta is the record meta of a data event; nil for statuses,
// heartbeats, SnapshotEnd, ...
func EventMeta(e *v1.MarketEvent) *v1.RecordMeta {
	switch p := e.Payload.(type) {
	case *v1.MarketEvent_Quote:
		return p.Quote.GetMeta()
	case *v1.MarketEvent_Bar:
		return p.Bar.GetMeta()
	case *v1.MarketEvent_History:
		return p.History.GetMeta()
	case *v1.MarketEvent_IntradayAnalytics:
		return p.IntradayAnalytics.GetMeta()
	case *v1.MarketEvent_Market:
		return p.Market.GetMeta()
	case *v1.MarketEvent_Signal:
		return p.Signal.GetMeta()
	}
	return nil
}

func (s *Subscriber) request() *v1.SubscribeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &v1.SubscribeRequest{Symbols: s.symbols, SinceSeq: map[string]uint64{},
		HeartbeatInterval: durationpb.New(s.opts.Heartbeat)}
	for symbol, p := range s.positions {
		if p.pending {
			r.SinceSeq[symbol] = p.seq - 1 // Replays the enriched version.
		} else {
			r.SinceSeq[symbol] = p.seq
		}
	}
	s.slowConsumer = false
	return r
}

// accept says whether to deliver e (false: a duplicate) and records gaps.
func (s *Subscriber) accept(e *v1.MarketEvent) (bool, *Gap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := e.GetStatus(); st != nil && st.GetState() == v1.SymbolState_SYMBOL_STATE_SLOW_CONSUMER {
		s.slowConsumer = true
	}
	meta := EventMeta(e)
	if meta == nil {
		return true, nil
	}
	var date [3]int32
	if s.channel == v1.Channel_CHANNEL_INTRADAY_BARS || s.channel == v1.Channel_CHANNEL_INTRADAY_ANALYTICS {
		d := meta.GetTradingDate()
		date = [3]int32{d.GetYear(), d.GetMonth(), d.GetDay()}
	}
	pending := s.channel == v1.Channel_CHANNEL_HISTORY &&
		e.GetHistory().GetIndicatorsState() == v1.IndicatorsState_INDICATORS_STATE_PENDING
	var gap *Gap
	last, ok := s.positions[meta.GetSymbol()]
	if ok && last.delivery == e.GetDelivery() && last.date == date {
		if meta.GetSeq() < last.seq || (meta.GetSeq() == last.seq && !(last.pending && !pending)) {
			return false, nil
		}
		if meta.GetSeq() > last.seq+1+uint64(e.GetConflated()) {
			gap = &Gap{Symbol: meta.GetSymbol(), PreviousSeq: last.seq, Seq: meta.GetSeq(),
				Lost: meta.GetSeq() - last.seq - 1 - uint64(e.GetConflated())}
			s.gaps = append(s.gaps, *gap)
		}
	}
	s.positions[meta.GetSymbol()] = position{meta.GetSeq(), e.GetDelivery(), date, pending}
	return true, gap
}

// retryable says whether a new subscription may fix err; on
// FAILED_PRECONDITION it forgets the resume points.
func (s *Subscriber) retryable(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(err, io.EOF) {
		return true
	}
	switch status.Code(err) {
	case codes.FailedPrecondition:
		s.positions = map[string]position{}
		s.resyncs++
		return true
	case codes.InvalidArgument, codes.NotFound, codes.Unimplemented, codes.Unauthenticated,
		codes.PermissionDenied, codes.OutOfRange:
		return false
	case codes.ResourceExhausted:
		return s.slowConsumer
	}
	return true
}

// Run delivers events to handle until ctx ends (returns ctx.Err()), handle
// returns an error (returned), or the gateway answers with an error a retry
// cannot fix (returned as a gRPC status error).
func (s *Subscriber) Run(ctx context.Context, handle func(*v1.MarketEvent) error) error {
	method := methods[s.channel](s.client)
	backoff := s.opts.InitialBackoff
	for {
		err := s.once(ctx, method, handle, &backoff)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var handlerErr handlerError
		if errors.As(err, &handlerErr) {
			return handlerErr.err
		}
		if !s.retryable(err) {
			return err
		}
		s.mu.Lock()
		s.reconnects++
		s.mu.Unlock()
		delay := time.Duration(float64(backoff) * (0.5 + rand.Float64()/2))
		backoff = min(backoff*2, s.opts.MaxBackoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

type handlerError struct{ err error }

func (h handlerError) Error() string { return h.err.Error() }

func (s *Subscriber) once(ctx context.Context, method streamFunc,
	handle func(*v1.MarketEvent) error, backoff *time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := method(ctx, s.request())
	if err != nil {
		return err
	}
	for {
		event, err := stream.Recv()
		if err != nil {
			return err
		}
		*backoff = s.opts.InitialBackoff
		ok, gap := s.accept(event)
		if gap != nil && s.opts.OnGap != nil {
			s.opts.OnGap(*gap)
		}
		if ok {
			if err := handle(event); err != nil {
				return handlerError{err}
			}
		}
	}
}

// Gaps are the losses seen so far.
func (s *Subscriber) Gaps() []Gap {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Gap(nil), s.gaps...)
}

// Resyncs counts fresh snapshots after the resume point was gone.
func (s *Subscriber) Resyncs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resyncs
}

// Reconnects counts new subscriptions after a stream ended.
func (s *Subscriber) Reconnects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reconnects
}

// LastSeq is the seq of the newest record delivered for symbol (0: none).
func (s *Subscriber) LastSeq(symbol string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.positions[strings.ToUpper(symbol)].seq
}
