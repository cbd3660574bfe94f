// SPDX-License-Identifier: GPL-2.0
/*
 * iotguard-btfids: fills in the BTF ids of a kernel module's .BTF_ids
 * section, as the kernel's tools/bpf/resolve_btfids does, for kernels whose
 * headers do not ship that tool (Debian's linux-kbuild does not), so that a
 * DKMS build of iotguard.ko gets working kfunc sets.
 *
 * The compiler leaves every id zero: BTF_ID(func, name) is a 4-byte symbol
 * __BTF_ID__func__name__<n> in .BTF_ids, BTF_SET8_START(list) an 8-byte
 * header __BTF_ID__set8__list whose size covers its (id, flags) pairs. This
 * writes each symbol's type id (looked up by kind and name in the module's
 * BTF, split on the kernel's), then each set's count, and sorts each set by
 * id: the kernel searches kfunc sets with bsearch(). A name the BTF does not
 * have fails the build rather than leaving a zero the verifier would reject.
 *
 * Kbuild runs it as $(RESOLVE_BTFIDS) -b vmlinux module.ko, after pahole has
 * added the module's .BTF. Only the section's bytes are rewritten, in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define PREFIX "__BTF_ID__"

struct kind {
	const char *name;
	int btf_kind;
};

static const struct kind kinds[] = {
	{ "func__", BTF_KIND_FUNC },
	{ "struct__", BTF_KIND_STRUCT },
	{ "union__", BTF_KIND_UNION },
	{ "typedef__", BTF_KIND_TYPEDEF },
};

/* The module's .BTF_ids section: where it is and a copy of its bytes. */
struct idlist {
	size_t index;
	uint64_t addr;
	off_t offset;
	size_t size;
	uint8_t *data;
	bool big_endian;
};

/* A set to count and sort once its ids are in. */
struct set {
	size_t offset;
	size_t entry;	/* 4 for a set of ids, 8 for (id, flags) pairs */
	size_t count;
};

static uint32_t get32(const struct idlist *ids, size_t off)
{
	const uint8_t *p = ids->data + off;

	if (ids->big_endian)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static void put32(struct idlist *ids, size_t off, uint32_t v)
{
	uint8_t *p = ids->data + off;
	int i;

	for (i = 0; i < 4; i++) {
		int shift = ids->big_endian ? 24 - 8 * i : 8 * i;

		p[i] = (uint8_t)(v >> shift);
	}
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "Usage: %s -b BASE MODULE\n\n", prog);
	fputs("Fills in the BTF ids of MODULE's .BTF_ids section (kfunc sets)\n"
	      "from its .BTF, split on BASE: the kernel's vmlinux or its raw\n"
	      "BTF (/sys/kernel/btf/vmlinux). Run after pahole -J.\n\n"
	      "Options:\n"
	      "  -b, --btf_base BASE  the kernel's BTF (required)\n"
	      "  -h, --help           show this help and exit\n", f);
}

/*
 * "__BTF_ID__func__iotguard_xdp_bind__663249" -> kind func, name
 * "iotguard_xdp_bind": the last "__<digits>" is the assembler's counter.
 */
static int parse_symbol(const char *sym, int *btf_kind, char *name,
			size_t len)
{
	const char *rest = sym + strlen(PREFIX);
	const char *end;
	size_t i, n;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		n = strlen(kinds[i].name);
		if (strncmp(rest, kinds[i].name, n))
			continue;
		rest += n;
		end = strrchr(rest, '_');
		if (!end || end - rest < 2 || end[-1] != '_' || !end[1] ||
		    strspn(end + 1, "0123456789") != strlen(end + 1))
			return -1;
		n = (size_t)(end - 1 - rest);
		if (n >= len)
			return -1;
		memcpy(name, rest, n);
		name[n] = '\0';
		*btf_kind = kinds[i].btf_kind;
		return 0;
	}
	return -1;
}

static int resolve_id(struct idlist *ids, const struct btf *btf,
		      const char *sym, size_t off)
{
	char name[256];
	int kind, id;

	if (parse_symbol(sym, &kind, name, sizeof(name))) {
		fprintf(stderr, "Unable to parse BTF id symbol %s: "
			"unknown kind or form\n", sym);
		return -1;
	}
	id = btf__find_by_name_kind(btf, name, kind);
	if (id <= 0) {
		fprintf(stderr, "Unable to resolve BTF id of %s: "
			"not in the module's or the kernel's BTF\n", sym);
		return -1;
	}
	put32(ids, off, (uint32_t)id);
	return 0;
}

/* The entries' first words are their ids: an insertion sort is plenty. */
static void sort_set(struct idlist *ids, const struct set *set)
{
	size_t first = set->offset + set->entry, i, j;
	uint8_t tmp[8];

	for (i = 1; i < set->count; i++) {
		for (j = i; j > 0; j--) {
			size_t a = first + (j - 1) * set->entry;
			size_t b = first + j * set->entry;

			if ((int32_t)get32(ids, a) <= (int32_t)get32(ids, b))
				break;
			memcpy(tmp, ids->data + a, set->entry);
			memmove(ids->data + a, ids->data + b, set->entry);
			memcpy(ids->data + b, tmp, set->entry);
		}
	}
	put32(ids, set->offset, (uint32_t)set->count);
}

static int find_sections(Elf *elf, struct idlist *ids, Elf_Scn **symtab)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	const char *name;

	if (elf_getshdrstrndx(elf, &shstrndx)) {
		fprintf(stderr, "Unable to read section names: %s\n",
			elf_errmsg(-1));
		return -1;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			*symtab = scn;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".BTF_ids"))
			continue;
		if (sh.sh_type != SHT_PROGBITS ||
		    (sh.sh_flags & SHF_COMPRESSED)) {
			fprintf(stderr, "Unable to patch .BTF_ids: "
				"not plain PROGBITS\n");
			return -1;
		}
		ids->index = elf_ndxscn(scn);
		ids->addr = sh.sh_addr;
		ids->offset = (off_t)sh.sh_offset;
		ids->size = sh.sh_size;
	}
	return 0;
}

/* Patches the ids, then counts and sorts the sets. */
static int patch(Elf *elf, Elf_Scn *symtab, struct idlist *ids,
		 const struct btf *btf)
{
	struct set *sets = NULL, *set;
	size_t nsets = 0, i, n, off;
	int ret = -1;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *data;
	const char *name, *rest;

	gelf_getshdr(symtab, &sh);
	data = elf_getdata(symtab, NULL);
	n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
	for (i = 0; i < n; i++) {
		if (!gelf_getsym(data, (int)i, &sym) ||
		    sym.st_shndx != ids->index)
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name || strncmp(name, PREFIX, strlen(PREFIX)))
			continue;
		off = sym.st_value - ids->addr;
		rest = name + strlen(PREFIX);
		if (off > ids->size || ids->size - off < 4) {
			fprintf(stderr, "Unable to patch %s: "
				"outside .BTF_ids\n", name);
			goto cleanup;
		}
		if (strncmp(rest, "set8__", 6) && strncmp(rest, "set__", 5)) {
			if (resolve_id(ids, btf, name, off))
				goto cleanup;
			continue;
		}
		set = realloc(sets, (nsets + 1) * sizeof(*sets));
		if (!set) {
			perror("Unable to allocate sets");
			goto cleanup;
		}
		sets = set;
		set = &sets[nsets++];
		set->offset = off;
		set->entry = rest[3] == '8' ? 8 : 4;
		set->count = sym.st_size / set->entry;
		if (!set->count || sym.st_size > ids->size - off) {
			fprintf(stderr, "Unable to patch %s: "
				"its size %zu does not fit\n", name,
				(size_t)sym.st_size);
			goto cleanup;
		}
		set->count--;	/* the header */
	}
	/* Sorted only now: the sets hold the ids patched above. */
	for (i = 0; i < nsets; i++)
		sort_set(ids, &sets[i]);
	ret = 0;
cleanup:
	free(sets);
	return ret;
}

static int resolve(const char *base_path, const char *path)
{
	struct idlist ids = { 0 };
	struct btf *base = NULL, *btf = NULL;
	Elf_Scn *symtab = NULL;
	Elf *elf = NULL;
	int fd, ret = -1;

	fd = open(path, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "Unable to open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		fprintf(stderr, "Unable to read %s: not an ELF file\n", path);
		goto cleanup;
	}
	ids.big_endian = elf_getident(elf, NULL)[EI_DATA] == ELFDATA2MSB;
	if (find_sections(elf, &ids, &symtab))
		goto cleanup;
	if (!ids.size) {
		ret = 0;	/* no kfunc sets, nothing to do */
		goto cleanup;
	}
	if (!symtab) {
		fprintf(stderr, "Unable to patch %s: no symbol table\n", path);
		goto cleanup;
	}
	base = btf__parse(base_path, NULL);
	if (!base) {
		fprintf(stderr, "Unable to read BTF %s: %s\n", base_path,
			strerror(errno));
		goto cleanup;
	}
	btf = btf__parse_split(path, base);
	if (!btf) {
		fprintf(stderr, "Unable to read the BTF of %s: %s "
			"(run pahole -J first)\n", path, strerror(errno));
		goto cleanup;
	}
	ids.data = malloc(ids.size);
	if (!ids.data) {
		perror("Unable to allocate .BTF_ids");
		goto cleanup;
	}
	if (pread(fd, ids.data, ids.size, ids.offset) != (ssize_t)ids.size) {
		fprintf(stderr, "Unable to read .BTF_ids of %s: %s\n", path,
			strerror(errno));
		goto cleanup;
	}
	if (patch(elf, symtab, &ids, btf))
		goto cleanup;
	if (pwrite(fd, ids.data, ids.size, ids.offset) != (ssize_t)ids.size) {
		fprintf(stderr, "Unable to write .BTF_ids of %s: %s\n", path,
			strerror(errno));
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(ids.data);
	btf__free(btf);
	btf__free(base);
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

int main(int argc, char *argv[])
{
	const char *base = NULL, *module = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout, argv[0]);
			return 0;
		}
		if (!strcmp(argv[i], "-b") || !strcmp(argv[i], "--btf_base")) {
			if (++i == argc)
				break;
			base = argv[i];
		} else if (argv[i][0] == '-' || module) {
			break;
		} else {
			module = argv[i];
		}
	}
	if (i < argc || !base || !module) {
		usage(stderr, argv[0]);
		return 1;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		fprintf(stderr, "Unable to start libelf: %s\n",
			elf_errmsg(-1));
		return 2;
	}
	libbpf_set_print(NULL);
	return resolve(base, module) ? 2 : 0;
}
