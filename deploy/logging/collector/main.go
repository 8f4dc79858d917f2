// Command tend-otelcol is the OpenTelemetry Collector that ships Tend's log lines: the upstream
// collector core with exactly the two components deploy/logging/collector.yaml uses, the filelog
// receiver (tails the JSON lines and renames them to ECS with its stanza operators) and the
// OpenSearch exporter (writes them as they are, mapping mode bodymap). Fewer components mean a
// smaller binary, a shorter build in CI and less code to trust. See deploy/logging/README.md.
package main

import (
	"log"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/opensearchexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// contribVersion is the collector release every module in go.mod is pinned to (core 1.47.0).
const contribVersion = "0.141.0"

func components() (otelcol.Factories, error) {
	receivers, err := otelcol.MakeFactoryMap[receiver.Factory](filelogreceiver.NewFactory())
	if err != nil {
		return otelcol.Factories{}, err
	}
	exporters, err := otelcol.MakeFactoryMap[exporter.Factory](opensearchexporter.NewFactory())
	if err != nil {
		return otelcol.Factories{}, err
	}
	return otelcol.Factories{
		Receivers: receivers,
		Exporters: exporters,
		// The collector's own logs (and metrics, off in collector.yaml).
		Telemetry: otelconftelemetry.NewFactory(),
		ReceiverModules: map[component.Type]string{
			filelogreceiver.NewFactory().Type(): "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver v" + contribVersion,
		},
		ExporterModules: map[component.Type]string{
			opensearchexporter.NewFactory().Type(): "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/opensearchexporter v" + contribVersion,
		},
	}, nil
}

func main() {
	settings := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "tend-otelcol",
			Description: "OpenTelemetry Collector shipping Tend's logs to OpenSearch",
			Version:     contribVersion,
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
				DefaultScheme:     "env",
			},
		},
	}
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
}
