/* SPDX-License-Identifier: GPL-2.0-only */
/* test_cfg_digest.c — daemon/control/cfg_digest.c: SHA-256 against the FIPS 180-4
 * examples (one block, two blocks, a million bytes) and at the lengths where the
 * padding moves to a second block, and the digest of a configuration: that of its config.show JSON, the same for
 * the same configuration parsed twice and different for a changed one. */
#include "test_util.h"
#include "cfg_digest.h"

static void hex_of(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha256_vectors(void)
{
	static const struct {
		const char *msg, *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	uint8_t d[32];
	char hex[65];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cfg_sha256(v[i].msg, strlen(v[i].msg), d);
		hex_of(d, hex);
		CU_ASSERT_STRING_EQUAL(hex, v[i].hex);
	}
	size_t n = 1000000;
	char *a = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	memset(a, 'a', n);
	cfg_sha256(a, n, d);
	hex_of(d, hex);
	CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* 55, 56 and 64 bytes of 'a': the padding in one block, in two, after a full one */
	static const struct {
		size_t len;
		const char *hex;
	} t[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cfg_sha256(a, t[i].len, d);
		hex_of(d, hex);
		CU_ASSERT_STRING_EQUAL(hex, t[i].hex);
		if (strcmp(hex, t[i].hex))
			fprintf(stderr, "\n  %zu x 'a': %s", t[i].len, hex);
	}
	free(a);
}

static struct tsn_config *parse(const char *text)
{
	struct tsn_diags d;
	tsn_diags_init(&d, "t");
	struct tsn_config *c = tsn_config_parse(text, strlen(text), "t", &d);
	tsn_diags_free(&d);
	return c;
}

static void test_config_digest(void)
{
	static const char *const a = "ports:\n  - name: sw0p1\nclassification:\n  default-priority: 3\n";
	static const char *const b = "classification: { default-priority: 3 }\nports: [ { name: sw0p1 } ]\n";
	static const char *const c = "ports:\n  - name: sw0p1\nclassification:\n  default-priority: 4\n";
	struct tsn_config *ca = parse(a), *cb = parse(b), *cc = parse(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cc);
	char ha[CFG_DIGEST_HEX], hb[CFG_DIGEST_HEX], hc[CFG_DIGEST_HEX], want[65];
	CU_ASSERT_EQUAL(cfg_digest(ca, ha), 0);
	CU_ASSERT_EQUAL(cfg_digest(cb, hb), 0);
	CU_ASSERT_EQUAL(cfg_digest(cc, hc), 0);
	CU_ASSERT_STRING_EQUAL(ha, hb);		/* the same configuration written two ways */
	CU_ASSERT_STRING_NOT_EQUAL(ha, hc);
	/* the digest is that of config.show's JSON text */
	json_object *j = tsn_config_to_json(ca);
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	uint8_t d[32];
	cfg_sha256(text, strlen(text), d);
	hex_of(d, want);
	CU_ASSERT_STRING_EQUAL(ha, want);
	json_object_put(j);
	tsn_config_free(ca);
	tsn_config_free(cb);
	tsn_config_free(cc);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("cfg_digest", NULL, NULL);
	CU_add_test(s, "SHA-256 of the FIPS 180-4 examples", test_sha256_vectors);
	CU_add_test(s, "digest of a configuration's normal form", test_config_digest);
	return tu_run_tests();
}
