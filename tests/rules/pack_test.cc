// SPDX-License-Identifier: Apache-2.0
//
// Pack parsing, loading and merging, and the broken-pack contract: every
// class of error names file:line:column and what is wrong.

#include "rules/pack.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "rules/matcher.h"
#include "rules/self_test.h"
#include "tests/rules/pack_equal.h"
#include "tests/test_util.h"

namespace etiolog::rules {
namespace {

const char kGoodPack[] = R"yaml(pack: test
rules:
  - id: t.sig
    kind: auth.signature_failure
    surface: ui
    severity: error
    patterns:
      - 'JWT token is not valid: (?P<reason>.+)'
    fields: {detail: error}
    fallback: true
    override: false
    examples:
      - line: 'JWT token is not valid: Signature verification failed'
        captures: {reason: Signature verification failed}
    counter_examples:
      - 'Invalid auth token: Signature verification failed'
)yaml";

TEST(ParsePack, ReadsRules) {
  Result<Pack> p = ParsePack(kGoodPack, "good.yaml");
  ASSERT_OK(p);
  ASSERT_EQ(p->rules.size(), 1u);
  const Rule& r = p->rules[0];
  EXPECT_EQ(r.id, "t.sig");
  EXPECT_EQ(r.kind, "auth.signature_failure");
  EXPECT_EQ(r.surface, "ui");
  EXPECT_EQ(r.severity, "error");
  ASSERT_EQ(r.patterns.size(), 1u);
  EXPECT_EQ(r.pattern_where[0].ToString(), "good.yaml:8:9");
  EXPECT_EQ(r.where.ToString(), "good.yaml:3:5");
  EXPECT_TRUE(r.fallback);
  EXPECT_FALSE(r.override);
  ASSERT_EQ(r.fields.size(), 1u);
  EXPECT_EQ(r.fields[0], (std::pair<std::string, std::string>("detail", "error")));
  ASSERT_EQ(r.examples.size(), 1u);
  EXPECT_EQ(r.examples[0].captures[0].second, "Signature verification failed");
  EXPECT_EQ(r.examples[0].capture_where[0].ToString(), "good.yaml:14:20");
  ASSERT_EQ(r.counter_examples.size(), 1u);
}

// Parses yaml expecting failure; returns the message.
std::string ParseError(const std::string& yaml, const std::string& file = "bad.yaml") {
  Result<Pack> p = ParsePack(yaml, file);
  EXPECT_FALSE(p.ok()) << "parsed: " << yaml;
  return p.status().message();
}

// Parses the packs (named a.yaml, b.yaml, ...) and merges them expecting
// the merge to fail; returns the message.
std::string MergeError(const std::vector<std::string>& yamls) {
  std::vector<Pack> packs;
  for (size_t i = 0; i < yamls.size(); ++i) {
    Result<Pack> p = ParsePack(yamls[i], std::string(1, static_cast<char>('a' + i)) + ".yaml");
    EXPECT_OK(p);
    if (!p.ok()) return p.status().message();
    packs.push_back(std::move(p).value());
  }
  Result<PackSet> set = MergePacks(std::move(packs));
  EXPECT_FALSE(set.ok());
  return set.ok() ? "" : set.status().message();
}

// A pack declaring the kinds and surfaces the tests below use.
const char kVocabulary[] = R"yaml(pack: vocabulary
kinds:
  - {name: process.start, meaning: a process started, captures: [pid]}
  - {name: auth.signature_failure, meaning: a signature did not verify, captures: [reason]}
surfaces:
  - {name: ui, meaning: the web UI}
  - {name: api, meaning: the REST API}
)yaml";

// Parses and compiles yaml expecting the compile step to fail.
std::string CompileError(const std::string& yaml, const std::string& file = "bad.yaml") {
  Result<Pack> p = ParsePack(yaml, file);
  EXPECT_OK(p);
  if (!p.ok()) return p.status().message();
  auto m = Matcher::Create(p->rules, p->redactions);
  EXPECT_FALSE(m.ok()) << "compiled: " << yaml;
  return m.status().message();
}

TEST(ParsePack, ReadsContextKeys) {
  Result<Pack> p = ParsePack(R"yaml(pack: ctx
rules:
  - id: heading
    kind: process.start
    patterns: ['^Name:\s+(?P<host>\S+)']
    sets_context: [host, previous]
  - id: fact
    kind: process.stop
    patterns: ['Finished:\s+(?P<at>.+)']
    uses_context: host
)yaml",
                             "ctx.yaml");
  ASSERT_OK(p);
  EXPECT_EQ(p->rules[0].sets_context, (std::vector<std::string>{"host", "previous"}));
  EXPECT_TRUE(p->rules[0].uses_context.empty());
  EXPECT_EQ(p->rules[1].uses_context, (std::vector<std::string>{"host"}));
  Result<Pack> again = ParsePack(FormatPack(*p), "again.yaml");
  ASSERT_OK(again);
  EXPECT_TRUE(testing::SamePack(*p, *again));
  Result<Pack> bad = ParsePack(
      "pack: x\nrules:\n  - id: a\n    kind: k\n    pattern: 'abc'\n    uses_context: [host, 'a "
      "b']\n",
      "bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "bad.yaml:6:26: 'a b' in uses_context is not a capture name (letters, digits, '_')");
}

TEST(BrokenPack, BadYaml) {
  EXPECT_EQ(ParseError("pack: x\nrules:\n  - id: [unclosed\n    kind: k\n"),
            "bad.yaml:4:9: end of sequence flow not found");
  EXPECT_EQ(ParseError("pack: x\nrules:\n  - id: a\n   kind: b\n"),
            "bad.yaml:4:4: end of sequence not found");
}

TEST(BrokenPack, UnknownKey) {
  std::string msg =
      ParseError("pack: x\nrules:\n  - id: a\n    kind: process.start\n    patern: 'abc'\n");
  EXPECT_EQ(msg.rfind("bad.yaml:5:5: unknown key 'patern' in rule (allowed: ", 0), 0u) << msg;
  EXPECT_EQ(
      ParseError("pack: x\nrulez: []\n").rfind("bad.yaml:2:1: unknown key 'rulez' in pack", 0), 0u);
}

TEST(BrokenPack, InvalidRe2WithRe2Message) {
  EXPECT_EQ(CompileError("pack: x\nrules:\n  - id: a\n    kind: process.start\n    patterns:\n"
                         "      - 'abc(def'\n"),
            "bad.yaml:6:9: rule 'a': invalid pattern: missing ): abc(def");
  EXPECT_EQ(CompileError("pack: x\nrules:\n  - id: a\n    kind: process.start\n"
                         "    pattern: 'abc(?<name>x)'\n"),
            "bad.yaml:5:14: rule 'a': invalid pattern: invalid perl operator: (?<");
}

TEST(BrokenPack, PatternOverMemoryLimit) {
  // \pL is a large UTF-8 automaton; a thousand of them exceed the
  // per-pattern budget long before they could exhaust memory.
  std::string big = "abc\\pL{1000}";
  std::string msg = CompileError(
      "pack: x\nrules:\n  - id: big\n    kind: process.start\n    pattern: '" + big + "'\n");
  EXPECT_EQ(msg, "bad.yaml:5:14: rule 'big': invalid pattern: pattern too large - compile failed");
}

TEST(BrokenPack, RepetitionOverRe2Limit) {
  EXPECT_EQ(CompileError("pack: x\nrules:\n  - id: a\n    kind: process.start\n"
                         "    pattern: 'abc(?:x{1000}){1000}'\n"),
            "bad.yaml:5:14: rule 'a': invalid pattern: invalid repetition size: {1000}");
}

TEST(BrokenPack, DuplicateIdInOnePackNamesBoth) {
  EXPECT_EQ(ParseError("pack: x\nrules:\n"
                       "  - {id: a, kind: process.start, pattern: 'abc'}\n"
                       "  - {id: a, kind: process.stop, pattern: 'xyz'}\n"),
            "bad.yaml:4:5: duplicate rule id 'a' (first defined at bad.yaml:3:5)");
}

TEST(BrokenPack, DuplicateIdAcrossPacksNamesBoth) {
  Result<Pack> a = ParsePack(
      "pack: a\nrules:\n  - {id: r, kind: process.start, pattern: 'abc'}\n"
      "kinds: [{name: process.start, meaning: m}, {name: process.stop, meaning: m}]\n",
      "a.yaml");
  Result<Pack> b =
      ParsePack("pack: b\nrules:\n\n  - {id: r, kind: process.stop, pattern: 'xyz'}\n", "b.yaml");
  ASSERT_OK(a);
  ASSERT_OK(b);
  Result<PackSet> set = MergePacks({*a, *b});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(),
            "b.yaml:4:5: duplicate rule id 'r' (first defined at a.yaml:3:5); add 'override: "
            "true' to replace it, or list it under 'disable:'");
}

TEST(BrokenPack, ExampleCaptureAbsentFromPattern) {
  EXPECT_EQ(CompileError("pack: x\nrules:\n  - id: a\n    kind: auth.signature_failure\n"
                         "    pattern: 'Invalid auth token: (?P<reason>.+)'\n"
                         "    examples:\n"
                         "      - line: 'Invalid auth token: x'\n"
                         "        captures: {reason: x, reasn: x}\n"),
            "bad.yaml:8:31: rule 'a': example expects capture 'reasn', but no pattern of the rule "
            "has (?P<reasn>...) and 'fields' does not name it");
}

TEST(BrokenPack, UnknownKind) {
  EXPECT_EQ(MergeError({kVocabulary,
                        "pack: x\nrules:\n  - id: a\n    kind: auth.signature_fail\n"
                        "    pattern: 'abc'\n"}),
            "b.yaml:4:11: unknown kind 'auth.signature_fail': neither this pack nor one loaded "
            "before it declares it under 'kinds:'");
  // A kind declared only by a pack loaded later does not count.
  EXPECT_EQ(MergeError(
                {"pack: x\nrules:\n  - {id: a, kind: process.start, pattern: abc}\n", kVocabulary}),
            "a.yaml:3:19: unknown kind 'process.start': neither this pack nor one loaded before "
            "it declares it under 'kinds:'");
}

TEST(BrokenPack, UnknownSurfaceSeveritySetsLevel) {
  EXPECT_EQ(MergeError({kVocabulary,
                        "pack: x\nrules:\n  - {id: a, kind: process.start, "
                        "surface: web, pattern: abc}\n"}),
            "b.yaml:3:43: unknown surface 'web' (declared: api, ui)");
  EXPECT_EQ(MergeError({kVocabulary,
                        "pack: x\nrules:\n  - {id: a, kind: process.start, "
                        "sets: {surface: web}, pattern: abc}\n"}),
            "b.yaml:3:50: unknown surface 'web' (declared: api, ui)");
  EXPECT_EQ(MergeError({"pack: x\nkinds: [{name: x.y, meaning: m}]\nrules:\n"
                        "  - {id: a, kind: x.y, surface: ui, pattern: abc}\n"}),
            "a.yaml:4:33: unknown surface 'ui' (no loaded pack declares 'surfaces:')");
  EXPECT_EQ(ParseError("pack: x\nrules:\n  - {id: a, kind: process.start, severity: fatal, "
                       "pattern: abc}\n"),
            "bad.yaml:3:44: unknown severity 'fatal' (one of: info, warning, error, critical)");
  EXPECT_EQ(ParseError("pack: x\nrules:\n  - {id: a, kind: process.start, sets: {pod: x}, "
                       "pattern: abc}\n"),
            "bad.yaml:3:41: unknown field 'pod' in sets (one of: component, host, pid, surface)");
  EXPECT_EQ(ParseError("pack: x\nrules:\n  - {id: a, kind: process.start, where: {level: loud}, "
                       "pattern: abc}\n"),
            "bad.yaml:3:49: unknown level 'loud'");
  EXPECT_EQ(ParseError("pack: x\nrules:\n  - {id: a, kind: process.start, fallback: yes, "
                       "pattern: abc}\n"),
            "bad.yaml:3:44: 'fallback' must be true or false");
}

TEST(BrokenPack, MissingRequiredKeys) {
  EXPECT_EQ(ParseError("pack: x\nrules:\n  - id: a\n    pattern: 'abc'\n"),
            "bad.yaml:3:5: missing required key 'kind'");
  EXPECT_EQ(ParseError("pack: x\nrules:\n  - id: a\n    kind: process.start\n"),
            "bad.yaml:3:5: rule 'a' has no 'patterns'");
  EXPECT_EQ(ParseError("rules: []\n"), "bad.yaml:1:1: missing required key 'pack'");
}

TEST(BrokenPack, NotUtf8OrNotPrintable) {
  EXPECT_EQ(ParseError("pack: x\nrules:\n  - id: \xff\n"), "bad.yaml:3:9: not valid UTF-8");
  EXPECT_EQ(ParseError(std::string("pack: x\ndescription: a\0b\n", 25)),
            "bad.yaml:2:15: character U+0000 is not allowed in YAML; write it as an escape "
            "(\\x..) in a double-quoted string");
  // Escaped, the same character is fine.
  Result<Pack> p = ParsePack("pack: x\ndescription: \"a\\x00b\"\n", "ok.yaml");
  ASSERT_OK(p);
  EXPECT_EQ(p->description, std::string("a\0b", 3));
  EXPECT_EQ(ParsePack(FormatPack(*p), "again.yaml")->description, p->description);
}

TEST(BrokenPack, PatternWithoutLiteral) {
  EXPECT_EQ(CompileError("pack: x\nrules:\n  - id: a\n    kind: process.start\n"
                         "    patterns: ['\\d+']\n"),
            "bad.yaml:5:16: rule 'a': pattern has no required literal of 3+ characters, so it "
            "would run on every line; add fixed text to it");
}

TEST(BrokenPack, BadKindOrSurfaceDeclaration) {
  EXPECT_EQ(ParseError("pack: x\nkinds:\n  - {name: Process.Start, meaning: m}\n"),
            "bad.yaml:3:12: kind 'Process.Start' must be dotted lower-case words, like "
            "'myapp.failure'");
  EXPECT_EQ(
      ParseError("pack: x\nkinds:\n  - {name: a.b, meaning: m}\n  - {name: a.b, meaning: n}\n"),
      "bad.yaml:4:12: kind 'a.b' declared twice");
  EXPECT_EQ(ParseError("pack: x\nsurfaces:\n  - {name: web ui, meaning: m}\n"),
            "bad.yaml:3:12: surface 'web ui' must be one lower-case word, like 'web_ui'");
  EXPECT_EQ(ParseError("pack: x\nsurfaces:\n  - {name: ui}\n"),
            "bad.yaml:3:5: missing required key 'meaning'");
  // Two packs may not declare one kind or surface.
  EXPECT_EQ(MergeError({kVocabulary, "pack: x\nkinds:\n  - {name: process.start, meaning: m}\n"}),
            "b.yaml:3:12: kind 'process.start' is already declared at a.yaml:3:12");
  EXPECT_EQ(MergeError({kVocabulary, "pack: x\nsurfaces:\n  - {name: ui, meaning: m}\n"}),
            "b.yaml:3:12: surface 'ui' is already declared at a.yaml:6:12");
}

TEST(ParsePack, DeclaredKindsAndSurfacesAreTheVocabulary) {
  Result<Pack> p = ParsePack(R"yaml(pack: myapp
surfaces:
  - {name: web, meaning: the web login}
kinds:
  - name: myapp.login_failed
    meaning: a user could not log in
    captures: [user]
rules:
  - id: myapp.login
    kind: myapp.login_failed
    surface: web
    pattern: 'login failed for (?P<user>\w+)'
)yaml",
                             "myapp.yaml");
  ASSERT_OK(p);
  ASSERT_EQ(p->kinds.size(), 1u);
  EXPECT_EQ(p->kinds[0].captures, std::vector<std::string>{"user"});
  EXPECT_EQ(p->kinds[0].where.ToString(), "myapp.yaml:5:11");
  ASSERT_EQ(p->surfaces.size(), 1u);
  EXPECT_EQ(p->surfaces[0].name, "web");
  // A later pack may use what an earlier one declared.
  Result<Pack> user = ParsePack(
      "pack: user\nrules:\n  - {id: u, kind: myapp.login_failed, surface: web, pattern: abc}\n",
      "user.yaml");
  ASSERT_OK(user);
  Result<PackSet> set = MergePacks({*p, *user});
  ASSERT_OK(set);
  EXPECT_EQ(set->rules.size(), 2u);
  EXPECT_EQ(set->kinds.size(), 1u);
  EXPECT_EQ(set->surfaces.size(), 1u);
}

TEST(ParsePack, TheEngineKnowsNoKindTheBuiltinPackDeclaresAirflows) {
  // Without packs there is no vocabulary at all.
  Result<PackSet> none = LoadPacks({.builtin = false, .default_dirs = false, .paths = {}});
  ASSERT_OK(none);
  EXPECT_TRUE(none->kinds.empty());
  EXPECT_TRUE(none->surfaces.empty());
  // The built-in pack declares Airflow's; vocabulary-only loading keeps it
  // without the rules.
  Result<PackSet> vocab = LoadPacks(
      {.builtin = true, .default_dirs = false, .paths = {}, .builtin_vocabulary_only = true});
  ASSERT_OK(vocab);
  EXPECT_TRUE(vocab->rules.empty());
  EXPECT_TRUE(vocab->causes.empty());
  auto declared = [&](const std::string& kind) {
    for (const KindInfo& k : vocab->kinds) {
      if (k.name == kind) return true;
    }
    return false;
  };
  EXPECT_TRUE(declared("auth.signature_failure"));
  EXPECT_TRUE(declared("process.start"));
  ASSERT_EQ(vocab->surfaces.size(), 4u);  // airflow_auth.yaml, then airflow_edge.yaml.
  EXPECT_EQ(vocab->surfaces[3].name, "edge_worker");
  EXPECT_EQ(vocab->surfaces[0].name, "ui");
}

Pack MustParse(const std::string& yaml, const std::string& file) {
  Result<Pack> p = ParsePack(yaml, file);
  EXPECT_OK(p);
  return p.ok() ? *p : Pack();
}

TEST(MergePacks, OverrideReplacesInPlaceAndDisableRemoves) {
  Pack builtin = MustParse(R"yaml(pack: builtin
kinds:
  - {name: process.start, meaning: m}
  - {name: process.stop, meaning: m}
rules:
  - {id: one, kind: process.start, pattern: 'first one'}
  - {id: two, kind: process.start, pattern: 'second two'}
  - {id: three, kind: process.start, pattern: 'third three'}
)yaml",
                           "builtin.yaml");
  Pack user = MustParse(R"yaml(pack: user
disable: [three, nosuch]
rules:
  - {id: one, kind: process.stop, override: true, pattern: 'replaced one'}
  - {id: four, kind: process.start, override: true, pattern: 'fourth four'}
)yaml",
                        "user.yaml");
  Result<PackSet> set = MergePacks({builtin, user});
  ASSERT_OK(set);
  ASSERT_EQ(set->rules.size(), 3u);
  EXPECT_EQ(set->rules[0].id, "one");
  EXPECT_EQ(set->rules[0].kind, "process.stop");
  EXPECT_EQ(set->rules[0].where.file, "user.yaml");
  EXPECT_EQ(set->rules[1].id, "two");
  EXPECT_EQ(set->rules[2].id, "four");
  ASSERT_EQ(set->warnings.size(), 2u);
  EXPECT_EQ(set->warnings[0],
            "user.yaml:2:18: disable: no rule 'nosuch' was loaded before this pack");
  EXPECT_EQ(set->warnings[1],
            "user.yaml:5:5: override: no rule 'four' was loaded before this pack; the rule is "
            "added");
  EXPECT_EQ(set->files, (std::vector<std::string>{"builtin.yaml", "user.yaml"}));
}

TEST(MergePacks, DisabledIdMayBeDefinedAgain) {
  Pack a = MustParse(
      "pack: a\nkinds: [{name: process.start, meaning: m}, {name: process.stop, meaning: m}]\n"
      "rules:\n  - {id: r, kind: process.start, pattern: 'abc'}\n",
      "a");
  Pack b = MustParse(
      "pack: b\ndisable: [r]\nrules:\n  - {id: r, kind: process.stop, pattern: xyz}\n", "b");
  Result<PackSet> set = MergePacks({a, b});
  ASSERT_OK(set);
  ASSERT_EQ(set->rules.size(), 1u);
  EXPECT_EQ(set->rules[0].kind, "process.stop");
  EXPECT_TRUE(set->warnings.empty());
}

TEST(MergePacks, DuplicateCauseNamesBoth) {
  const char kCause[] = "  - {id: c, title: t, detect: 'SELECT 1', summary: s, remediation: r}\n";
  Pack a = MustParse(std::string("pack: a\ncauses:\n") + kCause, "a.yaml");
  Pack b = MustParse(std::string("pack: b\ncauses:\n") + kCause, "b.yaml");
  Result<PackSet> set = MergePacks({a, b});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(),
            "b.yaml:3:5: duplicate cause id 'c' (first defined at a.yaml:3:5)");
}

class PackDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("etiolog_pack_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& rel, const std::string& text) {
    std::filesystem::path p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  std::filesystem::path dir_;
};

TEST_F(PackDirTest, DirectoryLoadsYamlFilesInNameOrder) {
  Write("rules/b.yml", "pack: b\nrules:\n  - {id: b, kind: process.start, pattern: 'bbb'}\n");
  Write("rules/a.yaml", "pack: a\nrules:\n  - {id: a, kind: process.start, pattern: 'aaa'}\n");
  Write("rules/README.md", "not a pack");
  Write("rules/sub/c.yaml", "this is not even YAML: [");
  Result<std::vector<Pack>> packs = LoadPackPath((dir_ / "rules").string());
  ASSERT_OK(packs);
  ASSERT_EQ(packs->size(), 2u);
  EXPECT_EQ((*packs)[0].name, "a");
  EXPECT_EQ((*packs)[1].name, "b");
}

TEST_F(PackDirTest, MissingPathIsNotFound) {
  Result<std::vector<Pack>> packs = LoadPackPath((dir_ / "nope.yaml").string());
  ASSERT_FALSE(packs.ok());
  EXPECT_EQ(packs.status().code(), Status::Code::kNotFound);
  EXPECT_NE(packs.status().message().find("nope.yaml"), std::string::npos);
}

TEST_F(PackDirTest, BrokenFileInDirectoryNamesTheFile) {
  std::string bad = Write("rules/bad.yaml", "pack: x\nrules:\n  - id: a\n    knd: x\n");
  Result<std::vector<Pack>> packs = LoadPackPath((dir_ / "rules").string());
  ASSERT_FALSE(packs.ok());
  EXPECT_EQ(packs.status().message().rfind(bad + ":4:5: unknown key 'knd'", 0), 0u)
      << packs.status().message();
}

TEST_F(PackDirTest, OversizedPackIsRejected) {
  std::string big = Write("big.yaml", std::string(kMaxPackBytes + 1, '#'));
  Result<Pack> p = LoadPackFile(big);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), big + ":1:1: rule pack is larger than 16 MiB");
}

TEST_F(PackDirTest, DefaultDirsFollowXdgThenHome) {
  const char* old_xdg = std::getenv("XDG_CONFIG_HOME");
  const char* old_home = std::getenv("HOME");
  std::string saved_xdg = old_xdg ? old_xdg : "", saved_home = old_home ? old_home : "";
  setenv("XDG_CONFIG_HOME", (dir_ / "xdg").c_str(), 1);
  setenv("HOME", (dir_ / "home").c_str(), 1);
  EXPECT_EQ(DefaultRuleDirs(), (std::vector<std::string>{"/etc/etiolog/rules.d",
                                                         (dir_ / "xdg/etiolog/rules.d").string()}));
  unsetenv("XDG_CONFIG_HOME");
  EXPECT_EQ(DefaultRuleDirs()[1], (dir_ / "home/.config/etiolog/rules.d").string());

  // A user pack in the default directory overrides a built-in rule; with
  // default_dirs off it is not read.
  Write("home/.config/etiolog/rules.d/mine.yaml",
        "pack: mine\ndisable: [airflow.banner]\nrules:\n"
        "  - {id: mine.start, kind: process.start, pattern: 'my app started'}\n");
  Result<PackSet> with = LoadPacks({.builtin = true, .default_dirs = true, .paths = {}});
  Result<PackSet> without = LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  if (old_xdg) setenv("XDG_CONFIG_HOME", saved_xdg.c_str(), 1);
  if (old_home) {
    setenv("HOME", saved_home.c_str(), 1);
  } else {
    unsetenv("HOME");
  }
  ASSERT_OK(with);
  ASSERT_OK(without);
  auto has = [](const PackSet& s, const std::string& id) {
    for (const Rule& r : s.rules) {
      if (r.id == id) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(*with, "mine.start"));
  EXPECT_FALSE(has(*with, "airflow.banner"));
  EXPECT_FALSE(has(*without, "mine.start"));
  EXPECT_TRUE(has(*without, "airflow.banner"));
}

TEST(FormatPack, BuiltinPackRoundTrips) {
  Result<std::vector<Pack>> packs = BuiltinPacks();
  ASSERT_OK(packs);
  for (const Pack& p : *packs) {
    Result<Pack> again = ParsePack(FormatPack(p), "again.yaml");
    ASSERT_OK(again);
    ASSERT_EQ(again->rules.size(), p.rules.size());
    for (size_t i = 0; i < p.rules.size(); ++i) {
      EXPECT_TRUE(testing::SameRule(p.rules[i], again->rules[i])) << p.rules[i].id;
    }
    EXPECT_TRUE(testing::SamePack(p, *again));
  }
}

TEST(SelfTest, DetectsWrongCaptureAndMatchingCounterExample) {
  Result<Pack> p = ParsePack(R"yaml(pack: x
rules:
  - id: a
    kind: auth.signature_failure
    pattern: 'token is not valid: (?P<reason>\w+)'
    examples:
      - line: 'token is not valid: Signature verification failed'
        captures: {reason: Expired}
    counter_examples:
      - 'token is not valid: Signature'
  - id: b
    kind: process.start
    pattern: 'never matches anything here'
    examples: ['token is not valid: x']
)yaml",
                             "self.yaml");
  ASSERT_OK(p);
  auto m = Matcher::Create(p->rules);
  ASSERT_OK(m);
  SelfTestResult r = RunExamples(**m);
  EXPECT_EQ(r.examples, 3);
  ASSERT_EQ(r.rules.size(), 2u);
  EXPECT_EQ(r.rules[0].examples, 1);
  EXPECT_EQ(r.rules[0].counter_examples, 1);
  ASSERT_EQ(r.rules[0].failures.size(), 2u);
  EXPECT_EQ(r.rules[0].failures[0].message, "capture 'reason' is 'Signature', expected 'Expired'");
  EXPECT_EQ(r.rules[0].failures[0].where, "self.yaml:7:9");
  EXPECT_EQ(r.rules[0].failures[1].message, "counter-example matches");
  ASSERT_EQ(r.rules[1].failures.size(), 1u);
  EXPECT_EQ(r.rules[1].failures[0].message, "example does not match");
  EXPECT_EQ(r.failures.size(), 3u);
}

const char kCausePack[] = R"yaml(pack: c
causes:
  - id: probe
    title: A probe
    risk: true
    detect: SELECT '' AS surface
    summary: s
    remediation: r
    suppressed_by: [other]
    meaning: what it means
    looks_for: what it looks for
    collect: what to collect
    examples:
      - name: two files
        surface: ui
        min_confidence: 0.25
        log: |
          line one
        files:
          kubectl-logs/airflow-api-server-7d9f8b6c4-vx8pn.log: |
            a
            b
      - files: {x.log: 'y'}
        cause: other
    counter_examples:
      - log: 'nothing'
)yaml";

TEST(ParsePack, ReadsCauseRiskTextsAndExamples) {
  Result<Pack> p = ParsePack(kCausePack, "c.yaml");
  ASSERT_OK(p);
  ASSERT_EQ(p->causes.size(), 1u);
  const Cause& c = p->causes[0];
  EXPECT_TRUE(c.risk);
  EXPECT_EQ(c.meaning, "what it means");
  EXPECT_EQ(c.looks_for, "what it looks for");
  EXPECT_EQ(c.collect, "what to collect");
  EXPECT_EQ(c.detect_where.ToString(), "c.yaml:6:13");
  ASSERT_EQ(c.suppressed_by_where.size(), 1u);
  EXPECT_EQ(c.suppressed_by_where[0].ToString(), "c.yaml:9:21");
  ASSERT_EQ(c.examples.size(), 2u);
  const CauseExample& a = c.examples[0];
  EXPECT_EQ(a.name, "two files");
  EXPECT_EQ(a.surface, "ui");
  EXPECT_DOUBLE_EQ(a.min_confidence, 0.25);
  EXPECT_EQ(a.cause, "");
  EXPECT_EQ(a.where.ToString(), "c.yaml:14:9");
  // `log` is the file example.log, first; `files` keep their order.
  ASSERT_EQ(a.files.size(), 2u);
  EXPECT_EQ(a.files[0], (std::pair<std::string, std::string>("example.log", "line one\n")));
  EXPECT_EQ(a.files[1].first, "kubectl-logs/airflow-api-server-7d9f8b6c4-vx8pn.log");
  EXPECT_EQ(a.files[1].second, "a\nb\n");
  EXPECT_EQ(c.examples[1].cause, "other");
  EXPECT_DOUBLE_EQ(c.examples[1].min_confidence, 0);
  ASSERT_EQ(c.counter_examples.size(), 1u);
  EXPECT_EQ(c.counter_examples[0].files[0].second, "nothing");
}

TEST(FormatPack, CauseKeysRoundTrip) {
  Result<Pack> p = ParsePack(kCausePack, "c.yaml");
  ASSERT_OK(p);
  Result<Pack> again = ParsePack(FormatPack(*p), "again.yaml");
  ASSERT_OK(again);
  EXPECT_TRUE(testing::SamePack(*p, *again)) << FormatPack(*p);
}

std::string CauseError(const std::string& example) {
  return ParseError(
      "pack: x\ncauses:\n  - id: c\n    title: t\n    detect: SELECT 1\n    summary: s\n"
      "    remediation: r\n    examples:\n" +
      example);
}

TEST(BrokenPack, BadCauseExamples) {
  EXPECT_EQ(CauseError("      - name: no log\n"),
            "bad.yaml:9:9: a cause example needs 'log' or 'files'");
  EXPECT_EQ(
      CauseError("      - 'a line'\n").rfind("bad.yaml:9:9: items of 'examples' must be maps", 0),
      0u);
  EXPECT_EQ(CauseError("      - log: x\n        min_confidence: 2\n"),
            "bad.yaml:10:25: 'min_confidence' must be a number from 0 to 1");
  EXPECT_EQ(CauseError("      - log: x\n        min_confidence: high\n"),
            "bad.yaml:10:25: 'min_confidence' must be a number from 0 to 1");
  EXPECT_EQ(CauseError("      - log: [x]\n"),
            "bad.yaml:9:14: 'log' must be a string (the lines of a log)");
  EXPECT_EQ(CauseError("      - files: [x]\n"), "bad.yaml:9:16: 'files' must be a map of strings");
  EXPECT_EQ(CauseError("      - log: x\n        files: {example.log: y}\n"),
            "bad.yaml:9:9: two files of this example are named 'example.log'");
  EXPECT_EQ(CauseError("      - log: x\n        surfce: ui\n")
                .rfind("bad.yaml:10:9: unknown key 'surfce' in cause example (allowed: ", 0),
            0u);
  EXPECT_EQ(ParseError("pack: x\ncauses:\n  - id: c\n    title: t\n    detect: SELECT 1\n    "
                       "summary: s\n    remediation: r\n    risk: maybe\n"),
            "bad.yaml:8:11: 'risk' must be true or false");
}

TEST(BuiltinPacks, AllExamplesPass) {
  Result<PackSet> set = LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
  ASSERT_OK(set);
  ASSERT_FALSE(set->rules.empty());
  ASSERT_FALSE(set->causes.empty());
  auto m = Matcher::Create(set->rules, set->redactions);
  ASSERT_OK(m);
  SelfTestResult r = RunExamples(**m);
  EXPECT_GT(r.examples, 200);
  for (const auto& f : r.failures) ADD_FAILURE() << f.where << " " << f.rule << ": " << f.message;
  for (const auto& rr : r.rules) {
    EXPECT_GT(rr.examples, 0) << rr.rule;
    EXPECT_GT(rr.counter_examples, 0) << rr.rule;
  }
}

}  // namespace
}  // namespace etiolog::rules
