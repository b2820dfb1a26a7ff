"""cc_grpc_library: protoc + grpc_cpp_plugin from Debian, via a genrule.

Works fully offline: uses /usr/bin/protoc (protobuf-compiler) and
/usr/bin/grpc_cpp_plugin (protobuf-compiler-grpc) instead of building
@com_google_protobuf / @com_github_grpc_grpc from source.

The package that calls the macro is the proto root: a file
`vnstream/v1/x.proto` in package //proto is imported as "vnstream/v1/x.proto"
and its generated header is included as "vnstream/v1/x.pb.h", exactly as any
other protoc user (Python, Go, grpcurl) sees it. Well-known types
(google/protobuf/*.proto) come from /usr/include, where protoc finds them.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

PROTOC = "/usr/bin/protoc"
GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def cc_grpc_library(name, srcs, deps = [], grpc = True, visibility = None, **kwargs):
    """Generates C++ (and gRPC) code for `srcs` and wraps it in a cc_library.

    Args:
      name: name of the resulting cc_library.
      srcs: .proto files, relative to this package (the proto root).
      deps: other cc_grpc_library targets of the same package whose .proto
        files are imported.
      grpc: also run grpc_cpp_plugin (services -> *.grpc.pb.{h,cc}).
      visibility: visibility of the cc_library.
      **kwargs: passed to the cc_library (e.g. testonly, tags).
    """
    bases = [s[:-len(".proto")] for s in srcs]
    hdrs = [b + ".pb.h" for b in bases]
    cc_srcs = [b + ".pb.cc" for b in bases]
    if grpc:
        hdrs += [b + ".grpc.pb.h" for b in bases]
        cc_srcs += [b + ".grpc.pb.cc" for b in bases]

    # All .proto files protoc may need to read (this target's + transitive deps').
    native.filegroup(
        name = name + "_proto_srcs",
        srcs = srcs + [d + "_proto_srcs" for d in deps],
        visibility = visibility,
    )

    grpc_flags = ""
    if grpc:
        grpc_flags = "--plugin=protoc-gen-grpc=%s --grpc_out=$(GENDIR)/%s " % (
            GRPC_CPP_PLUGIN,
            native.package_name(),
        )

    native.genrule(
        name = name + "_codegen",
        srcs = srcs + [d + "_proto_srcs" for d in deps],
        outs = hdrs + cc_srcs,
        cmd = "%s -I%s --cpp_out=$(GENDIR)/%s %s%s" % (
            PROTOC,
            native.package_name(),
            native.package_name(),
            grpc_flags,
            " ".join(["$(location %s)" % s for s in srcs]),
        ),
        message = "protoc (+grpc_cpp_plugin) %s" % native.package_name(),
        visibility = ["//visibility:private"],
    )

    cc_library(
        name = name,
        srcs = cc_srcs,
        hdrs = hdrs,
        # The package is the proto root: "vnstream/v1/x.pb.h" resolves.
        includes = ["."],
        deps = deps + (["//third_party:grpc++"] if grpc else ["//third_party:protobuf"]),
        visibility = visibility,
        **kwargs
    )
