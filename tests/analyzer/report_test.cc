// SPDX-License-Identifier: Apache-2.0
//
// The renderers, one format at a time: what each shows, that log text
// cannot inject Markdown (backticks, pipes, HTML, mentions, references,
// links, list markers) nor reach a Jira description as markup, that no
// format shows a secret even when the finding carries one, that titles are
// short and stable, and that the same findings give the same bytes.

#include "analyzer/report/report.h"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rules/matcher.h"
#include "rules/pack.h"
#include "tests/test_util.h"

namespace etiolog::analyzer {
namespace {

using Json = nlohmann::json;

constexpr char kJwt[] =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJBZG1pbiJ9."
    "Sx7yQ2bL4k9pV1mN3cZ8wR5tU6aE0dF";
constexpr char kPassword[] = "xZZFA8CZBNu9zmWs";
constexpr char kConfigSecret[] = "Zm9vYmFyYmF6cXV4c2VjcmV0";

EvidenceLine Line(const std::string& role, int64_t line, const std::string& text) {
  EvidenceLine e;
  e.role = role;
  e.path = "logs/api-server.log";
  e.line = line;
  e.has_time = true;
  e.time_us = 1765122598120000;  // 2025-12-07T15:49:58.120000Z
  e.time_quality = "exact";
  e.kind = "auth.signature_failure";
  e.component = "api-server";
  e.host = "airflow-apiserver-1";
  e.pid = 7;
  e.text = text;
  return e;
}

// A finding as a hostile log could make it: Markdown, HTML, mentions and
// references in its lines and facts, and secrets that slipped past the
// store (as if built by hand).
Finding Hostile() {
  Finding f;
  f.cause = "per_process_key";
  f.title = "Processes sign and validate tokens with different, self-generated keys";
  f.surface = "ui";
  f.confidence = 0.75;
  f.summary = std::string("2 processes (api-1, @oncall-team) generated keys. See #123 and ") +
              "<script>alert(1)</script> [x](javascript:alert(1)) *bold* token " + kJwt + ".";
  f.evidence = {
      Line("cause", 6, "```\n</code> | col | `x` @admin #42 <img src=x onerror=alert(1)>"),
      Line("symptom", 70, std::string("Authorization: Bearer ") + kJwt),
      Line("symptom", 71,
           std::string("Simple auth manager | Password for user 'admin': ") + kPassword),
      Line("symptom", 72, "- [ ] ```` four backticks ````` five"),
  };
  f.against = {Line("against", 99, std::string("AIRFLOW__API_AUTH__JWT_SECRET=") + kConfigSecret)};
  f.remediation = std::string("1. Generate one secret: python3 -c 'print(1)'\n") +
                  "2. Put AIRFLOW__API_AUTH__JWT_SECRET=<secret> in the environment,\n" +
                  "   not jwt_secret=" + kConfigSecret + " in one service only.\n" +
                  "3. Restart:\n" + "     kubectl rollout restart deploy -n <ns>\n";
  f.deployment = "docker-compose";
  f.fingerprint = "8eac68f963d0a4e8";
  f.facts = {{"surface", "ui"},
             {"confidence", "0.75"},
             {"failures", "34"},
             {"process_names", "api-1, @oncall-team | x"},
             {"setting", std::string("jwt_secret=") + kConfigSecret},
             {"scope_processes", "api-1"}};
  return f;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = rules::LoadPacks({.builtin = true, .default_dirs = false, .paths = {}});
    ASSERT_OK(set);
    auto m = rules::Matcher::Create({}, set->redactions);
    ASSERT_OK(m);
    matcher_ = std::move(m).value();
    run_.stats.sources = 1;
    run_.stats.lines = 1004;
    run_.stats.events = 312;
    run_.deployment = "docker-compose";
    run_.packs = {"builtin:airflow_auth.yaml"};
  }

  ReportOptions Options(ReportFormat format) const {
    ReportOptions o;
    o.format = format;
    o.redactor = matcher_.get();
    o.jira_project = "OPS";
    o.labels = {"airflow", "on call"};
    return o;
  }

  std::string Report(ReportFormat format, const std::vector<Finding>& findings) const {
    return RenderReport(findings, run_, Options(format));
  }

  std::string Ticket1(ReportFormat format, const Finding& f) const {
    std::vector<Ticket> t = RenderTickets({f}, run_, Options(format));
    EXPECT_EQ(t.size(), 1u);
    return t.empty() ? "" : t[0].body;
  }

  std::unique_ptr<rules::Matcher> matcher_;
  RunSummary run_;
};

const ReportFormat kAllFormats[] = {ReportFormat::kText, ReportFormat::kJson,
                                    ReportFormat::kMarkdown, ReportFormat::kGithub,
                                    ReportFormat::kJira};

void ExpectNoSecret(const std::string& out, const std::string& where) {
  EXPECT_EQ(out.find(kJwt), std::string::npos) << where;
  // Not even the JWT's payload or signature alone.
  EXPECT_EQ(out.find("eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJBZG1pbiJ9"), std::string::npos) << where;
  EXPECT_EQ(out.find(kPassword), std::string::npos) << where;
  EXPECT_EQ(out.find(kConfigSecret), std::string::npos) << where;
}

TEST_F(ReportTest, NoFormatShowsASecretInAReportOrATicket) {
  for (ReportFormat format : kAllFormats) {
    const std::string name(ReportFormatName(format));
    const std::string report = Report(format, {Hostile()});
    ExpectNoSecret(report, name + " report");
    EXPECT_NE(report.find("eyJ***"), std::string::npos) << name;
    ExpectNoSecret(Ticket1(format, Hostile()), name + " ticket");
  }
  // The pack's placeholders in the fix are not taken for secrets.
  EXPECT_NE(Ticket1(ReportFormat::kText, Hostile()).find("JWT_SECRET=<secret>"), std::string::npos);
}

TEST_F(ReportTest, TitleIsShortStableAndSaysCauseAndSurface) {
  Finding f = Hostile();
  const std::string title = TicketTitle(f);
  EXPECT_EQ(title,
            "[etiolog] per_process_key on ui (8eac68f9): Processes sign and validate tokens with "
            "different, self-generated keys");
  // Evidence, confidence and counts change between runs; the title does not.
  f.confidence = 0.95;
  f.evidence.pop_back();
  f.facts[2].second = "40";
  EXPECT_EQ(TicketTitle(f), title);
  f.facts.pop_back();  // No scope: one finding per cause and surface.
  f.surface.clear();
  EXPECT_EQ(TicketTitle(f),
            "[etiolog] per_process_key: Processes sign and validate tokens with different, "
            "self-generated keys");
  f.title = std::string(300, 'x') + "\xC3\xA9\xC3\xA9\xC3\xA9" + std::string(300, 'y');
  f.title[150] = '\n';
  const std::string cut = TicketTitle(f);
  EXPECT_LE(cut.size(), kMaxTitleBytes);
  EXPECT_EQ(cut.find('\n'), std::string::npos);
  EXPECT_EQ(cut.substr(cut.size() - 3), "\xE2\x80\xA6");
}

// Unescaped '|' in a table row: the row's cell count.
int Pipes(const std::string& row) {
  int n = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '|' && (i == 0 || row[i - 1] != '\\')) ++n;
  }
  return n;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// Markdown outside code blocks and code spans, with what each code block
// holds: the parts a renderer interprets.
struct MdParts {
  std::vector<std::string> prose;                // Lines outside code blocks.
  std::vector<std::vector<std::string>> blocks;  // Lines inside each block.
};

MdParts SplitMarkdown(const std::string& md) {
  MdParts parts;
  std::string fence;
  for (const std::string& raw : Lines(md)) {
    std::string line = raw;
    size_t indent = line.find_first_not_of(' ');
    std::string body = indent == std::string::npos ? "" : line.substr(indent);
    size_t ticks = body.find_first_not_of('`');
    if (ticks == std::string::npos) ticks = body.size();
    if (fence.empty()) {
      if (ticks >= 3) {
        fence = body.substr(0, ticks);
        parts.blocks.emplace_back();
      } else {
        parts.prose.push_back(line);
      }
    } else if (ticks >= fence.size() && body.find_first_not_of('`') == std::string::npos) {
      fence.clear();  // Closing fence: backticks only, at least as many.
    } else {
      parts.blocks.back().push_back(body);
    }
  }
  EXPECT_TRUE(fence.empty()) << "unclosed code block";
  return parts;
}

// Prose with code spans removed (their content is shown literally).
std::string OutsideSpans(const std::string& line) {
  std::string out;
  bool in_span = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      if (!in_span) out.append(line, i, 2);
      ++i;
      continue;
    }
    if (line[i] == '`') {
      in_span = !in_span;
      continue;
    }
    if (!in_span) out.push_back(line[i]);
  }
  return out;
}

TEST_F(ReportTest, MarkdownLogTextCannotInject) {
  for (const std::string& md : {Report(ReportFormat::kMarkdown, {Hostile()}),
                                Ticket1(ReportFormat::kMarkdown, Hostile())}) {
    MdParts parts = SplitMarkdown(md);
    // Every log line sits whole in a code block, however many backticks it has.
    bool found_lines = false;
    for (const auto& block : parts.blocks) {
      for (const std::string& l : block) {
        if (l.find("[3] Simple auth manager") == 0) found_lines = true;
      }
    }
    EXPECT_TRUE(found_lines) << md;
    for (const std::string& line : parts.prose) {
      const std::string bare = OutsideSpans(line);
      for (const char* bad : {"<script", "<img", "](", "@oncall", "@admin", "#123", "#42"}) {
        // Outside code, only the escaped form may appear.
        size_t at = bare.find(bad);
        EXPECT_TRUE(at == std::string::npos || (at > 0 && bare[at - 1] == '\\'))
            << "'" << bad << "' in: " << line;
      }
      if (line.rfind("| ", 0) == 0 && line.find("| Role |") == std::string::npos &&
          line.find("| Cause |") == std::string::npos) {
        EXPECT_TRUE(Pipes(line) == 6 || Pipes(line) == 5) << line;  // 5 or 4 columns.
      }
      EXPECT_NE(line.rfind("- [ ]", 0), 0u) << line;
      EXPECT_EQ(line.find("*bold*"), std::string::npos) << line;
    }
  }
}

TEST_F(ReportTest, MarkdownNoteHasEverySection) {
  const std::string md = Ticket1(ReportFormat::kMarkdown, Hostile());
  EXPECT_EQ(md.rfind("# \\[etiolog\\] per\\_process\\_key on ui (8eac68f9): Processes", 0), 0u)
      << md;
  for (const char* want :
       {"| per\\_process\\_key | ui | 0.75, likely | docker-compose |", "## Summary\n",
        "## Evidence\n",
        // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one table row, split for the width.
        "| 1 | cause | logs/api-server.log:6 | 2025-12-07T15:49:58.120000Z | "
        "api-server@airflow-apiserver-1\\[7\\] |",
        "## Against\n", "| 1 | against | logs/api-server.log:99 |", "## Fix (docker-compose)\n",
        "1. Generate one secret: python3 -c 'print(1)'\n",
        "2. Put AIRFLOW\\_\\_API\\_AUTH\\_\\_JWT\\_SECRET=\\<secret\\> in the environment, not "
        "jwt\\_secret=\\*\\*\\* in one service only.\n",
        "3. \n   ```text\n   Restart:\n     kubectl rollout restart deploy -n <ns>\n   ```\n",
        "## Facts\n", "- failures: 34\n", "Fingerprint 8eac68f963d0a4e8",
        "<!-- etiolog-fingerprint: 8eac68f963d0a4e8 -->"}) {
    EXPECT_NE(md.find(want), std::string::npos) << "missing: " << want << "\n" << md;
  }
  // Facts that are fields or identity only are not listed.
  EXPECT_EQ(md.find("scope_processes"), std::string::npos);
  EXPECT_EQ(md.find("- confidence"), std::string::npos);
}

TEST_F(ReportTest, MarkdownSaysWhenNotCertainAndWhenNothingWasFound) {
  Finding f = Hostile();
  f.confidence = 0.3;
  EXPECT_NE(Ticket1(ReportFormat::kMarkdown, f).find("0.30, not certain"), std::string::npos);
  const std::string none = Report(ReportFormat::kMarkdown, {});
  EXPECT_NE(none.find("No finding"), std::string::npos);
  EXPECT_NE(none.find("Read 1 source(s), 1004 lines; 312 events."), std::string::npos);
}

TEST_F(ReportTest, GithubIssueIsTheCreateIssueBody) {
  const Json j = Json::parse(Ticket1(ReportFormat::kGithub, Hostile()));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 3u);  // Only what the API takes.
  EXPECT_EQ(j["title"], TicketTitle(Hostile()));
  EXPECT_EQ(j["labels"], Json({"etiolog", "per_process_key", "airflow", "on call"}));
  const std::string body = j["body"];
  for (const std::string& line : Lines(body)) {
    EXPECT_NE(line.rfind("# ", 0), 0u) << "the title is the issue's, not a heading: " << line;
  }
  EXPECT_NE(body.find("## Evidence"), std::string::npos);
  // stdout: one issue per line.
  const std::string lines = Report(ReportFormat::kGithub, {Hostile(), Hostile()});
  EXPECT_EQ(Lines(lines).size(), 2u);
  EXPECT_EQ(Json::parse(Lines(lines)[0]), j);
}

// Checks an ADF node tree: known node types, content where it belongs,
// text nodes non-empty and without control characters. Collects text.
void CheckAdf(const Json& node, std::string* text, std::set<std::string>* types) {
  static const std::set<std::string> kBlocks = {
      "doc", "paragraph", "heading", "codeBlock", "bulletList", "orderedList", "listItem", "rule"};
  ASSERT_TRUE(node.is_object());
  const std::string type = node["type"];
  types->insert(type);
  if (type == "text") {
    const std::string t = node["text"];
    EXPECT_FALSE(t.empty());
    for (char c : t) EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 || c == '\n');
    text->append(t).append("\n");
    if (node.contains("marks")) {
      for (const Json& m : node["marks"]) {
        EXPECT_TRUE(m["type"] == "strong" || m["type"] == "code") << m;
      }
    }
    return;
  }
  EXPECT_TRUE(kBlocks.count(type) > 0) << type;
  if (type == "rule") return;
  ASSERT_TRUE(node["content"].is_array()) << node.dump();
  if (type == "bulletList" || type == "orderedList") {
    for (const Json& item : node["content"]) EXPECT_EQ(item["type"], "listItem");
  }
  for (const Json& child : node["content"]) CheckAdf(child, text, types);
}

TEST_F(ReportTest, JiraIssueIsTheCreateIssueBodyWithAdf) {
  const Json j = Json::parse(Ticket1(ReportFormat::kJira, Hostile()));
  const Json& fields = j["fields"];
  EXPECT_EQ(fields["project"]["key"], "OPS");
  EXPECT_EQ(fields["issuetype"]["name"], "Task");
  EXPECT_EQ(fields["summary"], TicketTitle(Hostile()));
  EXPECT_EQ(fields["labels"],
            Json({"etiolog", "per_process_key", "airflow", "on-call", "etiolog-8eac68f963d0a4e8"}));
  const Json& doc = fields["description"];
  EXPECT_EQ(doc["version"], 1);
  std::string text;
  std::set<std::string> types;
  CheckAdf(doc, &text, &types);
  for (const char* t : {"heading", "codeBlock", "bulletList", "orderedList", "paragraph"}) {
    EXPECT_TRUE(types.count(t) > 0) << t;
  }
  // Log text is carried as literal text, never as markup.
  EXPECT_NE(text.find("<img src=x onerror=alert(1)>"), std::string::npos);
  EXPECT_NE(text.find("Simple auth manager | Password for user 'admin': ***"), std::string::npos);
  EXPECT_NE(text.find("kubectl rollout restart deploy -n <ns>"), std::string::npos);
}

TEST_F(ReportTest, JsonTicketIsTheReportOfOneFinding) {
  const Json one = Json::parse(Ticket1(ReportFormat::kJson, Hostile()));
  const Json all = Json::parse(Report(ReportFormat::kJson, {Hostile()}));
  EXPECT_EQ(one, all);
  EXPECT_EQ(one["findings"][0]["facts"], Json({{"failures", 34},
                                               {"process_names", "api-1, @oncall-team | x"},
                                               {"setting", "jwt_secret=***"}}));
  EXPECT_EQ(one["findings"][0]["evidence"][0]["text"],
            "```\n</code> | col | `x` @admin #42 <img src=x onerror=alert(1)>");
}

TEST_F(ReportTest, TextStripsControlCharacters) {
  Finding f = Hostile();
  f.evidence[0].text = "red \x1b[31mALERT\x1b[0m bell\a";
  const std::string text = Ticket1(ReportFormat::kText, f);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\a'), std::string::npos);
  EXPECT_NE(text.find("red \xEF\xBF\xBD[31mALERT"), std::string::npos);
}

TEST_F(ReportTest, SameFindingsGiveSameBytes) {
  for (ReportFormat format : kAllFormats) {
    EXPECT_EQ(Report(format, {Hostile()}), Report(format, {Hostile()}));
    EXPECT_EQ(Ticket1(format, Hostile()), Ticket1(format, Hostile()));
  }
}

TEST(ReportFormats, NamesExtensionsAndJson) {
  for (ReportFormat format : kAllFormats) {
    Result<ReportFormat> parsed = ParseReportFormat(ReportFormatName(format));
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, format);
  }
  Result<ReportFormat> bad = ParseReportFormat("xml");
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("markdown"), std::string::npos);
  EXPECT_EQ(TicketExtension(ReportFormat::kMarkdown), "md");
  EXPECT_EQ(TicketExtension(ReportFormat::kJira), "jira.json");
  EXPECT_FALSE(IsJsonFormat(ReportFormat::kMarkdown));
  EXPECT_TRUE(IsJsonFormat(ReportFormat::kGithub));
}

TEST(ReportRunSummary, RoundTripsThroughJson) {
  RunSummary run;
  run.stats.sources = 2;
  run.stats.bytes = 1234;
  run.stats.lines = 56;
  run.stats.events = 7;
  run.stats.capped_lines = 1;
  run.stats.bad_records = 3;
  run.stats.errors = {"/var/log/x.log: No such file"};
  run.stats.warnings = {"y.log: line 2: NUL byte"};
  run.deployment = "kubernetes";
  run.packs = {"builtin:airflow_auth.yaml", "site.yaml"};
  Result<RunSummary> back = ParseRunSummaryJson(RunSummaryJson(run));
  ASSERT_OK(back);
  EXPECT_EQ(RunSummaryJson(*back), RunSummaryJson(run));
  EXPECT_EQ(back->stats.errors, run.stats.errors);
  Result<RunSummary> empty = ParseRunSummaryJson("");
  ASSERT_OK(empty);
  EXPECT_EQ(empty->stats.sources, 0u);
  EXPECT_FALSE(ParseRunSummaryJson("[1, 2]").ok());
  EXPECT_FALSE(ParseRunSummaryJson("{broken").ok());
}

}  // namespace
}  // namespace etiolog::analyzer
