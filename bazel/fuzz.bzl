"""libFuzzer targets that are also corpus regression tests.

vnstream_fuzz_target(name = "x_fuzzer", srcs = ["x_fuzzer.cc"], deps, corpus)
defines:
  x_fuzzer       the libFuzzer binary (clang only: build it with
                 --config=asan, which instruments everything for coverage;
                 tagged manual so GCC's `bazel build //...` skips it).
                 scripts/fuzz.sh runs it.
  x_fuzzer_test  runs LLVMFuzzerTestOneInput over every file of the seed
                 corpus (bazel/fuzz_main.cc): part of `bazel test //...`
                 with either compiler, so a fixed crash input stays fixed.
`corpus` is a directory of the package holding the seed inputs; crashes
found later are added there. Both are testonly (a target may drive the code
under test with its test doubles, such as libs/candles:fake_store).
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def vnstream_fuzz_target(name, srcs, deps, corpus):
    files = native.glob([corpus + "/**"])
    cc_binary(
        name = name,
        srcs = srcs,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual", "fuzzer"],
        testonly = True,
        deps = deps,
    )
    cc_test(
        name = name + "_test",
        size = "small",
        srcs = srcs,
        args = ["$(location %s)" % f for f in files],
        data = files,
        deps = deps + ["//bazel:fuzz_main"],
    )
