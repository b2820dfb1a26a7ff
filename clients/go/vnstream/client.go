// Package vnstream is the Go client of the vnstream gateway: connection
// options (TLS, API key) and a resuming subscriber that detects gaps. The
// generated stubs are github.com/vnstream/vnstream/clients/go/gen/vnstream/v1.
package vnstream

//go:generate ../generate.sh

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	v1 "github.com/vnstream/vnstream/clients/go/gen/vnstream/v1"
)

// Options say how to reach the gateway. The zero value (with Target) is a
// plaintext connection without a key, as the local stack serves.
type Options struct {
	// host:port (or any gRPC target).
	Target string
	// TLS with the system's roots.
	TLS bool
	// TLS with this PEM file of root certificates (implies TLS).
	RootCAFile string
	// Expected server name in the certificate, when it differs from the
	// target's host.
	ServerName string
	// Sent as "authorization: Bearer <APIKey>" on every call: over TLS, or
	// over plaintext only to a loopback target (never in the clear across
	// a network).
	APIKey string
}

// OptionsFromEnv reads VNSTREAM_TARGET (default 127.0.0.1:50051),
// VNSTREAM_TLS (1/true), VNSTREAM_ROOT_CA and VNSTREAM_API_KEY.
func OptionsFromEnv() Options {
	o := Options{
		Target:     os.Getenv("VNSTREAM_TARGET"),
		RootCAFile: os.Getenv("VNSTREAM_ROOT_CA"),
		APIKey:     os.Getenv("VNSTREAM_API_KEY"),
	}
	switch strings.ToLower(os.Getenv("VNSTREAM_TLS")) {
	case "1", "true", "yes":
		o.TLS = true
	}
	if o.Target == "" {
		o.Target = "127.0.0.1:50051"
	}
	return o
}

type bearer struct {
	key        string
	requireTLS bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.key}, nil
}

func (b bearer) RequireTransportSecurity() bool { return b.requireTLS }

func isLoopback(target string) bool {
	host := strings.TrimPrefix(target, "dns:///")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DialOptions are the grpc.DialOptions for o (credentials, keepalive the
// gateway accepts, a large receive limit for history snapshots).
func (o Options) DialOptions() ([]grpc.DialOption, error) {
	opts := []grpc.DialOption{
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time: 20 * time.Second, Timeout: 10 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
	}
	useTLS := o.TLS || o.RootCAFile != ""
	if useTLS {
		config := &tls.Config{ServerName: o.ServerName, MinVersion: tls.VersionTLS12}
		if o.RootCAFile != "" {
			pem, err := os.ReadFile(o.RootCAFile)
			if err != nil {
				return nil, fmt.Errorf("vnstream: root CA: %w", err)
			}
			config.RootCAs = x509.NewCertPool()
			if !config.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("vnstream: no certificate in %s", o.RootCAFile)
			}
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(config)))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if o.APIKey != "" {
		if !useTLS && !isLoopback(o.Target) {
			return nil, fmt.Errorf("vnstream: an API key over plaintext is only sent to a "+
				"loopback address, not %q: use TLS", o.Target)
		}
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{o.APIKey, useTLS}))
	}
	return opts, nil
}

// Client is a connection to the gateway and its stub. Safe for concurrent
// use; Close releases the connection.
type Client struct {
	Conn *grpc.ClientConn
	v1.MarketDataServiceClient
}

// Dial connects (lazily, as grpc.NewClient) to the gateway.
func Dial(o Options) (*Client, error) {
	opts, err := o.DialOptions()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(o.Target, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{Conn: conn, MarketDataServiceClient: v1.NewMarketDataServiceClient(conn)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.Conn.Close() }
