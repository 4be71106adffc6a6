// JSON, Markdown and HTML reports of nuri-compare, and baselines.
#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace nuri::compare {
namespace {

std::string escapeJson(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        out += buffer;
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::string escapeHtml(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '&': out += "&amp;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

/// JSON has no inf or NaN.
std::string num(double v) {
  if (!std::isfinite(v))
    return v > 0 ? "1e308" : v < 0 ? "-1e308" : "null";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

std::string joined(const std::vector<std::string> &v, const char *sep = ", ") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i)
    out += (i ? sep : "") + v[i];
  return out;
}

std::string metricsJson(const Metrics &m) {
  std::string out = "{\"metric\":\"" + m.metric + "\",\"pass\":" + (m.pass ? "true" : "false") +
                    ",\"max_abs\":" + num(m.maxAbs) + ",\"max_rel\":" + num(m.maxRel) +
                    ",\"cosine\":" + num(m.cosine) + ",\"rel_l2\":" + num(m.relL2) +
                    ",\"mismatches\":" + std::to_string(m.mismatches) +
                    ",\"count\":" + std::to_string(m.count) + ",\"histogram\":[";
  for (size_t i = 0; i < m.histogram.size(); ++i)
    out += (i ? "," : "") + std::to_string(m.histogram[i]);
  out += "]";
  if (!m.note.empty())
    out += ",\"note\":\"" + escapeJson(m.note) + "\"";
  return out + "}";
}

/// The figure the baseline keeps for a result: relative L2 where the
/// comparison uses it, else the max abs error.
double errorOf(const Metrics &m) { return m.metric == "cosine+rel_l2" ? m.relL2 : m.maxAbs; }

std::string toleranceText(const Tolerance &t) {
  return "f32: allclose(rtol " + sci(t.rtol) + ", atol " + sci(t.atol) +
         "); bf16/f16 or computed in bf16 (on the NPU, or downstream of it): cosine >= " +
         sci(t.minCosine) + " and relative L2 <= " + sci(t.maxRelL2) + "; integers: exact";
}

double timeOf(const DispatchRun &d) {
  return d.simulatedSeconds >= 0 ? d.simulatedSeconds : d.seconds;
}

} // namespace

bool ModelReport::pass() const {
  if (!error.empty() || !regressions.empty())
    return false;
  for (const DeviceComparison &c : compared)
    if (!c.pass)
      return false;
  return true;
}

std::string toJson(const std::vector<ModelReport> &reports, const std::string &mode) {
  std::string out = "{\"tool\":\"nuri-compare\",\"mode\":\"" + mode + "\",\"pass\":";
  bool all = std::all_of(reports.begin(), reports.end(), [](auto &r) { return r.pass(); });
  out += all ? "true" : "false";
  out += ",\"models\":[";
  for (size_t i = 0; i < reports.size(); ++i) {
    const ModelReport &r = reports[i];
    out += (i ? "," : "") + std::string("{\"name\":\"") + escapeJson(r.name) +
           "\",\"artifact\":\"" + escapeJson(r.artifact) + "\",\"reference\":\"" +
           escapeJson(r.reference) + "\",\"pass\":" + (r.pass() ? "true" : "false") +
           ",\"tolerance\":\"" + escapeJson(toleranceText(r.tolerance)) + "\"" +
           ",\"isolated\":" + (r.isolated ? "true" : "false");
    if (!r.error.empty())
      out += ",\"error\":\"" + escapeJson(r.error) + "\"";
    out += ",\"regressions\":[";
    for (size_t k = 0; k < r.regressions.size(); ++k)
      out += (k ? ",\"" : "\"") + escapeJson(r.regressions[k]) + "\"";
    out += "],\"runs\":[";
    for (size_t k = 0; k < r.runs.size(); ++k) {
      const DeviceRun &run = r.runs[k];
      out += (k ? "," : "") + std::string("{\"device\":\"") + escapeJson(run.device) +
             "\",\"seconds\":" + num(run.seconds) + ",\"dispatches\":[";
      for (size_t d = 0; d < run.dispatches.size(); ++d) {
        const DispatchRun &dr = run.dispatches[d];
        out += (d ? "," : "") + std::string("{\"index\":") + std::to_string(dr.index) +
               ",\"name\":\"" + escapeJson(dr.name) + "\",\"format\":\"" + escapeJson(dr.format) +
               "\",\"seconds\":" + num(dr.seconds) +
               ",\"simulated_seconds\":" + num(dr.simulatedSeconds) + "}";
      }
      out += "]}";
    }
    out += "],\"comparisons\":[";
    for (size_t k = 0; k < r.compared.size(); ++k) {
      const DeviceComparison &c = r.compared[k];
      out += (k ? "," : "") + std::string("{\"device\":\"") + escapeJson(c.device) +
             "\",\"pass\":" + (c.pass ? "true" : "false") +
             ",\"first_divergence\":" + std::to_string(c.firstDivergence) + ",\"dispatches\":[";
      for (size_t d = 0; d < c.dispatches.size(); ++d) {
        const DispatchComparison &dc = c.dispatches[d];
        out += (d ? "," : "") + std::string("{\"index\":") + std::to_string(dc.index) +
               ",\"name\":\"" + escapeJson(dc.name) + "\",\"nodes\":[";
        for (size_t n = 0; n < dc.nodes.size(); ++n)
          out += (n ? ",\"" : "\"") + escapeJson(dc.nodes[n]) + "\"";
        out += "],\"pass\":" + std::string(dc.pass ? "true" : "false") + ",\"results\":[";
        for (size_t m = 0; m < dc.results.size(); ++m)
          out += (m ? "," : "") + metricsJson(dc.results[m]);
        out += "]}";
      }
      out += "],\"outputs\":[";
      for (size_t m = 0; m < c.outputs.size(); ++m)
        out += (m ? "," : "") + metricsJson(c.outputs[m]);
      out += "]}";
    }
    out += "]}";
  }
  return out + "]}\n";
}

std::string toMarkdown(const std::vector<ModelReport> &reports, const std::string &mode) {
  bool all = std::all_of(reports.begin(), reports.end(), [](auto &r) { return r.pass(); });
  std::string out = std::string("## nuri-compare (") + mode + "): " +
                    (all ? "all within tolerance" : "**divergence or regression**") + "\n\n";
  if (!reports.empty())
    out += "Tolerances: " + toleranceText(reports[0].tolerance) + ".\n\n";
  if (!reports.empty() && reports[0].isolated)
    out += "Isolated: every dispatch was fed the reference's inputs, so each error is the "
           "kernel's own, not accumulated along the graph.\n\n";
  out += "| model | device vs reference | result | first divergent dispatch | ONNX nodes | worst error |\n";
  out += "|---|---|---|---|---|---|\n";
  for (const ModelReport &r : reports) {
    if (!r.error.empty()) {
      out += "| " + r.name + " | | error | | | " + r.error + " |\n";
      continue;
    }
    for (const DeviceComparison &c : r.compared) {
      std::string first = "-", nodes = "-", worst;
      double worstError = 0;
      for (const DispatchComparison &d : c.dispatches) {
        for (const Metrics &m : d.results)
          if (errorOf(m) >= worstError)
            worstError = errorOf(m), worst = m.metric + " " + sci(errorOf(m)) + " (" + d.name + ")";
        if (int64_t(d.index) == c.firstDivergence) {
          first = std::to_string(d.index) + " `" + d.name + "`";
          nodes = joined(d.nodes);
          for (const Metrics &m : d.results)
            if (!m.pass)
              worst = m.metric + ": max abs " + sci(m.maxAbs) + ", rel L2 " + sci(m.relL2) +
                      ", cosine " + sci(m.cosine);
        }
      }
      out += "| " + r.name + " | " + c.device + " vs " + r.reference + " | " +
             (c.pass ? "pass" : "**FAIL**") + " | " + first + " | " + nodes + " | " + worst + " |\n";
    }
  }
  // Time per device.
  out += "\n| model | device | dispatches | total ms (simulated ms where the device simulates) |\n|---|---|---:|---:|\n";
  for (const ModelReport &r : reports)
    for (const DeviceRun &run : r.runs) {
      double total = 0;
      for (const DispatchRun &d : run.dispatches)
        total += timeOf(d);
      out += "| " + r.name + " | " + run.device + " | " + std::to_string(run.dispatches.size()) +
             " | " + sci(total * 1e3) + " |\n";
    }
  for (const ModelReport &r : reports)
    for (const std::string &g : r.regressions)
      out += "\n- regression in " + r.name + ": " + g;
  return out + "\n";
}

std::string toHtml(const std::vector<ModelReport> &reports, const std::string &mode) {
  bool all = std::all_of(reports.begin(), reports.end(), [](auto &r) { return r.pass(); });
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>nuri-compare</title>\n"
      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}.fail{background:#fdd}"
      ".pass{background:#dfd}svg{vertical-align:middle}</style></head><body>\n";
  out += "<h1>nuri-compare (" + escapeHtml(mode) + "): " +
         (all ? "all within tolerance" : "divergence or regression") + "</h1>\n";
  static const char *colors[] = {"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2"};
  for (const ModelReport &r : reports) {
    out += "<h2>" + escapeHtml(r.name) + "</h2>\n<p>Reference: " + escapeHtml(r.reference) +
           ". Tolerances: " + escapeHtml(toleranceText(r.tolerance)) + ".</p>\n";
    if (!r.error.empty())
      out += "<p class=\"fail\">" + escapeHtml(r.error) + "</p>\n";
    for (const std::string &g : r.regressions)
      out += "<p class=\"fail\">regression: " + escapeHtml(g) + "</p>\n";
    for (const DeviceComparison &c : r.compared) {
      out += "<h3>" + escapeHtml(c.device) + " vs " + escapeHtml(r.reference) + ": " +
             (c.pass ? "pass" : "FAIL, first divergence at dispatch " +
                                    std::to_string(c.firstDivergence)) +
             "</h3>\n<table><tr><th>#</th><th>dispatch</th><th>ONNX nodes</th><th>metric</th>"
             "<th>max abs</th><th>rel L2</th><th>cosine</th><th>|error| per decade "
             "(1e-9 .. 1e1)</th></tr>\n";
      for (const DispatchComparison &d : c.dispatches)
        for (size_t k = 0; k < d.results.size(); ++k) {
          const Metrics &m = d.results[k];
          // The histogram: one bar per decade of |error|, heights by count.
          uint64_t most = 1;
          for (uint64_t h : m.histogram)
            most = std::max(most, h);
          std::string svg = "<svg width=\"120\" height=\"24\">";
          for (size_t b = 0; b < m.histogram.size(); ++b) {
            double h = m.histogram[b] ? 2 + 22.0 * double(m.histogram[b]) / double(most) : 0;
            char bar[160];
            std::snprintf(bar, sizeof bar,
                          "<rect x=\"%zu\" y=\"%.1f\" width=\"9\" height=\"%.1f\" fill=\"%s\"/>",
                          b * 10, 24 - h, h, b >= 7 ? "#e45756" : "#4c78a8");
            svg += bar;
          }
          svg += "</svg>";
          out += std::string("<tr class=\"") + (m.pass ? "pass" : "fail") + "\"><td>" +
                 std::to_string(d.index) + "</td><td>" + escapeHtml(d.name) +
                 (d.results.size() > 1 ? " #" + std::to_string(k) : "") + "</td><td>" +
                 escapeHtml(joined(d.nodes)) + "</td><td>" + m.metric + "</td><td>" +
                 sci(m.maxAbs) + "</td><td>" + sci(m.relL2) + "</td><td>" + sci(m.cosine) +
                 "</td><td>" + svg + "</td></tr>\n";
        }
      out += "</table>\n";
    }
    // Time bars: per dispatch, one bar per device (simulated time where the
    // device simulates), scaled to the slowest.
    double most = 1e-12;
    size_t n = 0;
    for (const DeviceRun &run : r.runs) {
      n = std::max(n, run.dispatches.size());
      for (const DispatchRun &d : run.dispatches)
        most = std::max(most, timeOf(d));
    }
    out += "<h3>Time per dispatch</h3>\n<p>";
    for (size_t k = 0; k < r.runs.size(); ++k)
      out += std::string("<span style=\"color:") + colors[k % 5] + "\">&#9632; " +
             escapeHtml(r.runs[k].device) + "</span> ";
    out += "(µs; the simulator's time for a simulated device)</p>\n<table>\n";
    for (size_t i = 0; i < n; ++i) {
      out += "<tr><td>" + std::to_string(i) + "</td><td>";
      for (size_t k = 0; k < r.runs.size(); ++k) {
        if (i >= r.runs[k].dispatches.size())
          continue;
        double t = timeOf(r.runs[k].dispatches[i]);
        char bar[200];
        std::snprintf(bar, sizeof bar,
                      "<svg width=\"304\" height=\"8\"><rect width=\"%.1f\" height=\"8\" "
                      "fill=\"%s\"/></svg> %s<br>",
                      1 + 300.0 * t / most, colors[k % 5], sci(t * 1e6).c_str());
        out += bar;
      }
      out += "</td></tr>\n";
    }
    out += "</table>\n";
  }
  return out + "</body></html>\n";
}

std::string baselineJson(const std::vector<ModelReport> &reports) {
  std::string out = "{\"tool\":\"nuri-compare\",\"baseline\":[\n";
  bool first = true;
  for (const ModelReport &r : reports)
    for (const DeviceRun &run : r.runs)
      for (const DispatchRun &d : run.dispatches) {
        double error = 0;
        for (const DeviceComparison &c : r.compared)
          if (c.device == run.device)
            for (const DispatchComparison &dc : c.dispatches)
              if (dc.index == d.index)
                for (const Metrics &m : dc.results)
                  error = std::max(error, errorOf(m));
        out += std::string(first ? "" : ",\n") + "{\"key\":\"" +
               escapeJson(r.name + "|" + run.device + "|" + std::to_string(d.index)) +
               "\",\"error\":" + num(error) + ",\"seconds\":" + num(timeOf(d)) + "}";
        first = false;
      }
  return out + "\n]}\n";
}

bool checkBaseline(const std::string &json, double errorGrowth, double timeGrowth,
                   std::vector<ModelReport> &reports, std::string &error) {
  if (json.find("\"baseline\"") == std::string::npos) {
    error = "not a nuri-compare baseline (no \"baseline\" array)";
    return false;
  }
  std::map<std::string, std::pair<double, double>> base;
  for (size_t at = json.find("{\"key\":\""); at != std::string::npos;
       at = json.find("{\"key\":\"", at + 1)) {
    size_t keyStart = at + 8, keyEnd = json.find('"', keyStart);
    size_t e = json.find("\"error\":", keyEnd), s = json.find("\"seconds\":", keyEnd);
    if (keyEnd == std::string::npos || e == std::string::npos || s == std::string::npos) {
      error = "malformed baseline entry at byte " + std::to_string(at);
      return false;
    }
    base[json.substr(keyStart, keyEnd - keyStart)] = {std::strtod(json.c_str() + e + 8, nullptr),
                                                      std::strtod(json.c_str() + s + 10, nullptr)};
  }
  std::string current = baselineJson(reports);
  for (ModelReport &r : reports)
    for (const DeviceRun &run : r.runs)
      for (const DispatchRun &d : run.dispatches) {
        std::string key = r.name + "|" + run.device + "|" + std::to_string(d.index);
        auto it = base.find(key);
        if (it == base.end())
          continue;
        size_t at = current.find("{\"key\":\"" + escapeJson(key) + "\"");
        double now = std::strtod(current.c_str() + current.find("\"error\":", at) + 8, nullptr);
        if (now > it->second.first * (1 + errorGrowth) + 1e-6)
          r.regressions.push_back(run.device + " dispatch " + std::to_string(d.index) + " (" +
                                  d.name + "): error " + sci(now) + " > baseline " +
                                  sci(it->second.first));
        double t = timeOf(d);
        // Below 50 us a host time is mostly noise.
        if (it->second.second > 5e-5 && t > it->second.second * (1 + timeGrowth))
          r.regressions.push_back(run.device + " dispatch " + std::to_string(d.index) + " (" +
                                  d.name + "): " + sci(t * 1e6) + " us > baseline " +
                                  sci(it->second.second * 1e6) + " us");
      }
  return true;
}

} // namespace nuri::compare
