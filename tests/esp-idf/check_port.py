#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/esp-idf/check_port.py SRC: consistency of the ESP-IDF port (firmware/ports/esp-idf)
without ESP-IDF, which cannot be installed offline (docs/esp-idf.md):

- partitions.csv parses as ESP-IDF's gen_esp32part.py reads it: names, types, subtypes,
  offsets and sizes aligned (4 KiB, apps 64 KiB), no overlap, inside the flash size of
  sdkconfig.defaults; the model partition is data and holds at least MODEL_MIN bytes; the
  queue's NVS partition holds VIGIL_QUEUE_MAX (its Kconfig maximum) records of the largest
  size; the labels the C code looks up are the ones in the table.
- Kconfig.projbuild: every CONFIG_VIGIL_* the C code, CMake files and sdkconfig.defaults use
  is defined, every one defined is used; each has a type and a default inside its range;
  a dependency outside the menu is switched on by sdkconfig.defaults.
- CMakeLists.txt files and idf_component.yml: the project include, the sources, include
  directories and relative repository paths exist; REQUIRES names are ESP-IDF components;
  every header main/ includes comes from a required (or always present) component.
- docs/esp-idf.md lists every ESP-IDF and FreeRTOS function main/ calls (the API check list).
Exit 0 when all hold; otherwise each failure on a line and exit 1."""
import os
import re
import sys

MODEL_MIN = 256 * 1024  # the model partition must hold at least this (docs/esp-idf.md)
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL - " + msg)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def size_value(text):
    t = text.strip()
    m = re.fullmatch(r"(0x[0-9a-fA-F]+|\d+)([KM]?)", t)
    if not m:
        return None
    v = int(m.group(1), 0)
    return v * {"": 1, "K": 1024, "M": 1024 * 1024}[m.group(2)]


APP_SUB = {"factory", "test"} | {"ota_%d" % i for i in range(16)}
DATA_SUB = {"ota", "phy", "nvs", "coredump", "nvs_keys", "efuse", "undefined", "esphttpd",
            "fat", "spiffs", "littlefs"}
# Components of ESP-IDF v5 that main/ may require, and the headers main/ includes from them.
KNOWN_COMPONENTS = {"vigil", "nvs_flash", "esp_partition", "esp_adc", "driver", "esp_timer",
                    "esp_wifi", "esp_netif", "esp_event", "mqtt", "lwip", "log", "freertos",
                    "esp_hw_support", "soc", "esp_common", "newlib", "esp_driver_gpio"}
ALWAYS = {"freertos", "log", "esp_hw_support", "soc", "esp_common", "newlib"}  # common requirements
HEADER_COMPONENT = {
    "driver/gpio.h": "driver", "esp_adc/adc_cali.h": "esp_adc",
    "esp_adc/adc_cali_scheme.h": "esp_adc", "esp_adc/adc_oneshot.h": "esp_adc",
    "esp_log.h": "log", "esp_partition.h": "esp_partition", "esp_random.h": "esp_hw_support",
    "esp_timer.h": "esp_timer", "freertos/FreeRTOS.h": "freertos", "freertos/queue.h": "freertos",
    "freertos/task.h": "freertos", "nvs.h": "nvs_flash", "nvs_flash.h": "nvs_flash",
    "soc/soc_caps.h": "soc", "esp_err.h": "esp_common", "esp_event.h": "esp_event",
    "esp_netif.h": "esp_netif", "esp_sntp.h": "lwip", "esp_wifi.h": "esp_wifi",
    "mqtt_client.h": "mqtt", "vg_app.h": "vigil", "vge_util.h": "vigil",
}


def flash_size(defaults):
    m = re.search(r"^CONFIG_ESPTOOLPY_FLASHSIZE_(\d+)MB=y", defaults, re.M)
    return int(m.group(1)) * 1024 * 1024 if m else None


def parse_kconfig(text):
    """config/choice entries: name -> {kind, type, defaults, range, depends}"""
    entries, cur = {}, None
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"(config|menuconfig|choice)\s+(\w+)$", s)
        if m:
            cur = entries.setdefault(m.group(2), {"kind": m.group(1), "type": None,
                                                  "defaults": [], "range": None, "depends": []})
            continue
        if s in ("endchoice", "endmenu") or s.startswith("menu "):
            cur = None
            continue
        if cur is None:
            continue
        m = re.match(r"(bool|int|string|hex)\b", s)
        if m and cur["type"] is None:
            cur["type"] = m.group(1)
        m = re.match(r"default\s+(.+?)(\s+if\s+.+)?$", s)
        if m:
            cur["defaults"].append(m.group(1))
        m = re.match(r"range\s+(-?\d+)\s+(-?\d+)", s)
        if m:
            cur["range"] = (int(m.group(1)), int(m.group(2)))
        m = re.match(r"depends on\s+(.+)$", s)
        if m:
            cur["depends"] += re.findall(r"\w+", m.group(1))
    return entries


def main():
    src = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    port = os.path.join(src, "firmware/ports/esp-idf")
    main_dir, comp = os.path.join(port, "main"), os.path.join(port, "components/vigil")
    defaults = read(os.path.join(port, "sdkconfig.defaults"))
    kconfig_text = read(os.path.join(main_dir, "Kconfig.projbuild"))
    kconf = parse_kconfig(kconfig_text)
    c_files = [os.path.join(main_dir, f) for f in sorted(os.listdir(main_dir)) if f.endswith((".c", ".h"))]
    c_text = {f: read(f) for f in c_files}
    main_c = read(os.path.join(main_dir, "vge_main.c"))

    # ---- sdkconfig.defaults and partitions.csv ----
    if not re.search(r"^CONFIG_PARTITION_TABLE_CUSTOM=y$", defaults, re.M):
        fail("sdkconfig.defaults: CONFIG_PARTITION_TABLE_CUSTOM=y missing")
    m = re.search(r'^CONFIG_PARTITION_TABLE_CUSTOM_FILENAME="([^"]+)"', defaults, re.M)
    table = os.path.join(port, m.group(1)) if m else None
    if not table or not os.path.isfile(table):
        fail("sdkconfig.defaults: CONFIG_PARTITION_TABLE_CUSTOM_FILENAME names no file")
        return
    flash = flash_size(defaults)
    if not flash:
        fail("sdkconfig.defaults: no CONFIG_ESPTOOLPY_FLASHSIZE_<N>MB=y")
        flash = 4 * 1024 * 1024
    parts, names = [], set()
    for no, line in enumerate(read(table).splitlines(), 1):
        s = line.split("#", 1)[0].strip()
        if not s:
            continue
        f = [x.strip() for x in s.split(",")]
        while len(f) < 6:
            f.append("")
        name, ptype, sub, off, size = f[0], f[1], f[2], size_value(f[3]), size_value(f[4])
        where = "partitions.csv:%d (%s)" % (no, name)
        if len(f) > 6 or not name or len(name) > 16 or name in names:
            fail(where + ": a name of 1-16 characters, unique, then 5 fields")
        names.add(name)
        if ptype not in ("app", "data") and not (re.fullmatch(r"0x[0-9a-fA-F]+", ptype) and 0x40 <= int(ptype, 16) <= 0xFE):
            fail(where + ": type is app, data or 0x40-0xFE")
        custom = re.fullmatch(r"0x[0-9a-fA-F]{1,2}", sub) is not None
        if not custom and sub not in (APP_SUB if ptype == "app" else DATA_SUB if ptype == "data" else set()):
            fail(where + ": unknown subtype '%s'" % sub)
        if off is None or size is None:
            fail(where + ": give the offset and size explicitly (0x..., N, NK or NM)")
            continue
        align = 0x10000 if ptype == "app" else 0x1000
        if off % align or size % 0x1000 or size == 0:
            fail(where + ": offset must be %#x-aligned and size a multiple of 4 KiB" % align)
        if off < 0x9000:
            fail(where + ": overlaps the bootloader or the partition table (ends at 0x9000)")
        if off + size > flash:
            fail(where + ": ends at %#x, past the %d MB flash" % (off + size, flash >> 20))
        parts.append((off, size, name, ptype, sub))
    parts.sort()
    for a, b in zip(parts, parts[1:]):
        if a[0] + a[1] > b[0]:
            fail("partitions.csv: %s and %s overlap" % (a[2], b[2]))
    byname = {p[2]: p for p in parts}
    if sum(1 for p in parts if p[3] == "app" and p[4] == "factory") != 1:
        fail("partitions.csv: exactly one factory app")
    nvs = byname.get("nvs")
    if not nvs or nvs[3:] != ("data", "nvs") or nvs[1] < 0x3000:
        fail("partitions.csv: the default 'nvs' partition (data, nvs, >= 12 KiB) is missing")
    label = re.search(r'esp_partition_find_first\(\s*ESP_PARTITION_TYPE_DATA\s*,\s*\w+\s*,\s*"(\w+)"\)', main_c)
    if not label:
        fail("vge_main.c: the model partition lookup (esp_partition_find_first, data, label) not found")
    else:
        model = byname.get(label.group(1))
        if not model or model[3] != "data":
            fail("partitions.csv: no data partition '%s' (vge_main.c looks it up)" % label.group(1))
        elif model[1] < MODEL_MIN:
            fail("partitions.csv: '%s' holds %d bytes, less than %d" % (model[2], model[1], MODEL_MIN))
        else:
            print("ok - model partition '%s': %d KiB at %#x (>= %d KiB)" % (model[2], model[1] >> 10, model[0], MODEL_MIN >> 10))
    qpart = re.search(r'#define VGE_QUEUE_PART\s+"(\w+)"', main_c)
    msg = re.search(r"#define VGE_MSG_LEN\s+(\d+)u?", main_c)
    qmax = kconf.get("VIGIL_QUEUE_MAX", {}).get("range")
    if not qpart or not msg or not qmax:
        fail("vge_main.c / Kconfig: VGE_QUEUE_PART, VGE_MSG_LEN or VIGIL_QUEUE_MAX's range not found")
    else:
        q = byname.get(qpart.group(1))
        if not q or q[3:] != ("data", "nvs"):
            fail("partitions.csv: no NVS partition '%s' for the offline queue" % qpart.group(1))
        else:
            # NVS: 4 KiB pages of 126 entries of 32 bytes, one page kept free for garbage
            # collection; a blob of n bytes takes ceil(n/32) data entries, a chunk header per
            # page it touches and an index entry. Plus the namespace, head and tail entries.
            rec = int(msg.group(1))
            per_rec = -(-rec // 32) + 2 + 1
            need = qmax[1] * per_rec + 3
            have = (q[1] // 4096 - 1) * 126
            if need > have:
                fail("partitions.csv: '%s' holds %d NVS entries; %d records of %d bytes need %d" % (q[2], have, qmax[1], rec, need))
            else:
                print("ok - queue partition '%s': %d records of %d bytes need %d of %d NVS entries" % (q[2], qmax[1], rec, need, have))

    # ---- Kconfig ----
    before = len(FAILS)
    defined = {n for n, e in kconf.items() if n.startswith("VIGIL_") and e["kind"] != "choice"}
    used_in = {}
    scan = c_files + [os.path.join(comp, f) for f in os.listdir(comp) if f.endswith((".c", ".h"))]
    scan += [os.path.join(main_dir, "CMakeLists.txt"), os.path.join(comp, "CMakeLists.txt"),
             os.path.join(port, "sdkconfig.defaults")]
    for f in scan:
        for n in re.findall(r"\bCONFIG_(VIGIL_\w+)", read(f)):
            used_in.setdefault(n, os.path.relpath(f, port))
    for n in sorted(set(used_in) - defined):
        fail("%s uses CONFIG_%s, which Kconfig.projbuild does not define" % (used_in[n], n))
    for n in sorted(defined - set(used_in)):
        fail("Kconfig.projbuild defines %s, which nothing uses" % n)
    choice_members = set()
    for block in re.findall(r"choice\s+\w+(.*?)endchoice", kconfig_text, re.S):
        choice_members |= set(re.findall(r"config\s+(\w+)", block))
    for n in sorted(defined):
        e = kconf[n]
        if e["type"] is None:
            fail("Kconfig.projbuild: %s has no type" % n)
        if not e["defaults"] and n not in choice_members:
            fail("Kconfig.projbuild: %s has no default" % n)
        if e["type"] == "int" and e["range"]:
            for d in e["defaults"]:
                if re.fullmatch(r"-?\d+", d) and not e["range"][0] <= int(d) <= e["range"][1]:
                    fail("Kconfig.projbuild: %s's default %s is outside its range" % (n, d))
        if e["type"] == "string":
            for d in e["defaults"]:
                if not re.fullmatch(r'"[^"]*"', d):
                    fail("Kconfig.projbuild: %s's default is not a quoted string" % n)
        for dep in e["depends"]:
            if not dep.startswith("VIGIL_") and not re.search(r"^CONFIG_%s=y$" % dep, defaults, re.M):
                fail("Kconfig.projbuild: %s depends on %s, which sdkconfig.defaults does not set" % (n, dep))
            if dep.startswith("VIGIL_") and dep not in kconf:
                fail("Kconfig.projbuild: %s depends on an undefined %s" % (n, dep))
    if len(FAILS) == before:
        print("ok - %d Kconfig symbols, each defined and used" % len(defined))

    # ---- CMake files and the component manifest ----
    top = read(os.path.join(port, "CMakeLists.txt"))
    if "include($ENV{IDF_PATH}/tools/cmake/project.cmake)" not in top or not re.search(r"project\(vigil-device\)", top):
        fail("CMakeLists.txt: the ESP-IDF project include or project(vigil-device) is missing")
    mc = read(os.path.join(main_dir, "CMakeLists.txt"))
    m = re.search(r"idf_component_register\((.*?)\)\s*$", mc, re.S | re.M)
    if not m:
        fail("main/CMakeLists.txt: no idf_component_register()")
        return
    reg = m.group(1)
    srcs = re.findall(r'"([^"]+\.c)"', re.search(r"SRCS(.*?)(INCLUDE_DIRS|REQUIRES|$)", reg, re.S).group(1))
    for s in srcs:
        if not os.path.isfile(os.path.join(main_dir, s)):
            fail("main/CMakeLists.txt: source %s does not exist" % s)
    for f in c_files:
        if f.endswith(".c") and os.path.basename(f) not in srcs:
            fail("main/CMakeLists.txt: %s is not in SRCS" % os.path.basename(f))
    req = re.search(r"REQUIRES(.*?)(EMBED_TXTFILES|PRIV_REQUIRES|$)", reg, re.S).group(1).split()
    for r in req:
        if r not in KNOWN_COMPONENTS:
            fail("main/CMakeLists.txt: REQUIRES %s is not an ESP-IDF v5 component this port knows" % r)
    have = set(req) | ALWAYS
    for f, text in c_text.items():
        for inc in re.findall(r'#include\s+"([^"]+)"', text):
            if inc == "sdkconfig.h" or os.path.isfile(os.path.join(main_dir, inc)):
                continue
            compo = HEADER_COMPONENT.get(inc)
            if compo is None:
                fail("%s includes %s: add it to check_port.py's header table with its component" % (os.path.basename(f), inc))
            elif compo not in have:
                fail("%s includes %s from %s, which main/CMakeLists.txt does not require" % (os.path.basename(f), inc, compo))
    cc = read(os.path.join(comp, "CMakeLists.txt"))
    m = re.search(r'get_filename_component\(VIGIL_ROOT "\$\{CMAKE_CURRENT_LIST_DIR\}/([./]+)" ABSOLUTE\)', cc)
    root = os.path.normpath(os.path.join(comp, m.group(1))) if m else None
    if root != src:
        fail("components/vigil/CMakeLists.txt: VIGIL_ROOT does not resolve to the repository root")
    else:
        for rel in re.findall(r"\$\{VIGIL_ROOT\}/([\w/.*-]+)", cc):
            path = os.path.join(root, rel)
            ok = (os.path.isdir(os.path.dirname(path)) and any(x.endswith(".c") for x in os.listdir(os.path.dirname(path)))) if "*" in rel else os.path.exists(path)
            if not ok:
                fail("components/vigil/CMakeLists.txt: %s does not exist" % rel)
        for s in re.findall(r'"(\w+\.c)"', cc):
            if not os.path.isfile(os.path.join(comp, s)):
                fail("components/vigil/CMakeLists.txt: %s does not exist" % s)
    yml = read(os.path.join(comp, "idf_component.yml"))
    top_keys = dict(re.findall(r"^(\w+):\s*(.*)$", yml, re.M))
    for k in ("version", "description", "license", "dependencies"):
        if k not in top_keys:
            fail("idf_component.yml: no '%s'" % k)
    if not re.fullmatch(r'"?\d+\.\d+\.\d+"?', top_keys.get("version", "")):
        fail("idf_component.yml: version is not MAJOR.MINOR.PATCH")
    idf = re.search(r'^\s+idf:\s*"?([^"\n]+)"?', yml, re.M)
    if not idf:
        fail("idf_component.yml: no dependencies.idf")
    doc = read(os.path.join(src, "docs/esp-idf.md"))
    if idf and idf.group(1).strip() not in doc:
        fail("docs/esp-idf.md does not state the ESP-IDF requirement %s" % idf.group(1).strip())

    # ---- main/'s use of Vigil's own API: declared functions, fields of vg_model_t ----
    before = len(FAILS)
    headers = [os.path.join(src, "core/include/vigil", f) for f in os.listdir(os.path.join(src, "core/include/vigil"))]
    headers += [os.path.join(src, "firmware/app", f) for f in os.listdir(os.path.join(src, "firmware/app")) if f.endswith(".h")]
    headers += [os.path.join(comp, "vge_util.h"), os.path.join(main_dir, "vge_net.h")]
    declared = set()
    for h in headers:
        declared |= set(re.findall(r"\b(vge?_\w+)\s*\(", read(h)))
    model_h = read(os.path.join(src, "core/include/vigil/vg_model.h"))
    for f, text in c_text.items():
        body = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        for fn in sorted(set(re.findall(r"\b(vge?_[a-z0-9_]+)\s*\(", body)) - declared):
            if not re.search(r"^static [^;]*\b%s\(" % fn, body, re.M):
                fail("%s calls %s, declared in no header of the core, the app or the port" % (os.path.basename(f), fn))
        for field in sorted(set(re.findall(r"\bm->(\w+)", body))):
            if not re.search(r"\b%s\b" % field, model_h):
                fail("%s reads m->%s, which vg_model_t does not have" % (os.path.basename(f), field))
    if len(FAILS) == before:
        print("ok - main/ calls only declared Vigil functions and existing vg_model_t fields")

    # ---- every ESP-IDF / FreeRTOS call is in docs/esp-idf.md's check list ----
    calls = set()
    for f, text in c_text.items():
        body = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        calls |= set(re.findall(r"\b((?:esp|nvs|adc|gpio)_[a-z0-9_]+|x[A-Z]\w+|v[A-Z]\w+)\s*\(", body))
    listed = set(re.findall(r"`(\w+)`", doc))
    for c in sorted(calls - listed):
        fail("docs/esp-idf.md: %s is called in main/ but not in the API check list" % c)
    if not calls - listed:
        print("ok - %d ESP-IDF/FreeRTOS functions called in main/, each in docs/esp-idf.md" % len(calls))


if __name__ == "__main__":
    main()
    if FAILS:
        print("%d problem(s)" % len(FAILS))
        sys.exit(1)
    print("ok - the ESP-IDF port is consistent")
