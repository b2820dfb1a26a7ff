// vnstream-subscribe prints live quotes from the gateway, resuming after
// disconnects and reporting gaps:
//
//	go run ./cmd/vnstream-subscribe -target 127.0.0.1:50051 FPT VCB
//
// TLS and the API key come from flags or VNSTREAM_TLS, VNSTREAM_ROOT_CA,
// VNSTREAM_API_KEY.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	v1 "github.com/vnstream/vnstream/clients/go/gen/vnstream/v1"
	"github.com/vnstream/vnstream/clients/go/vnstream"
)

func main() {
	opts := vnstream.OptionsFromEnv()
	flag.StringVar(&opts.Target, "target", opts.Target, "gateway host:port")
	flag.BoolVar(&opts.TLS, "tls", opts.TLS, "TLS with the system's roots")
	flag.StringVar(&opts.RootCAFile, "root_ca", opts.RootCAFile, "TLS with these roots (PEM)")
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("usage: vnstream-subscribe [-target host:port] SYMBOL...")
	}
	client, err := vnstream.Dial(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	sub, err := vnstream.NewSubscriber(client, v1.Channel_CHANNEL_QUOTES, flag.Args(),
		vnstream.SubscribeOptions{OnGap: func(g vnstream.Gap) { log.Printf("gap: %+v", g) }})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = sub.Run(ctx, func(e *v1.MarketEvent) error {
		if q := e.GetQuote(); q != nil {
			fmt.Printf("%-6s #%-6d %12s VND %8s%%  vol %12d  %s\n", q.GetMeta().GetSymbol(),
				q.GetMeta().GetSeq(), vnstream.FormatDecimal(q.GetLastPrice()),
				vnstream.FormatDecimal(q.GetPercentChange()), q.GetTotalVolume(), e.GetDelivery())
		} else if st := e.GetStatus(); st != nil {
			fmt.Printf("%-6s %s %s\n", st.GetSymbol(), st.GetState(), st.GetMessage())
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}
