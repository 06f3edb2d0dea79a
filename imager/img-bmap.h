/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Block maps in bmaptool's XML format (bmap-tools 3.x, format 2.0; 1.4 is
 * refused because its checksums are SHA-1):
 *
 *   <bmap version="2.0">
 *     <ImageSize> 4294967296 </ImageSize>
 *     <BlockSize> 4096 </BlockSize>
 *     <BlocksCount> 1048576 </BlocksCount>
 *     <MappedBlocksCount> 12345 </MappedBlocksCount>
 *     <ChecksumType> sha256 </ChecksumType>
 *     <BmapFileChecksum> (sha256 of the file with these 64 digits set to '0') </BmapFileChecksum>
 *     <BlockMap>
 *       <Range chksum="..."> 0-1023 </Range>
 *       <Range chksum="..."> 4096 </Range>
 *     </BlockMap>
 *   </bmap>
 *
 * Parsed with libxml2 (no network, no entities, no DTD). Checked: every
 * element present once, numbers in range, ImageSize consistent with
 * BlocksCount, ranges sorted and disjoint inside the image, their sum equal
 * to MappedBlocksCount, each checksum 64 hex digits, BmapFileChecksum right.
 * Errors name the line: "FILE:LINE: what". */

#include <stddef.h>
#include <stdint.h>

struct img_bmap_range {
        uint64_t first;      /* block numbers, inclusive */
        uint64_t last;
        uint8_t sha256[32];
        unsigned line;
};

struct img_bmap {
        uint64_t image_size;        /* bytes */
        uint32_t block_size;        /* bytes, power of two, 512..1 MiB */
        uint64_t blocks_count;
        uint64_t mapped_blocks;
        struct img_bmap_range *ranges;
        size_t n_ranges;
        char version[16];
};

int img_bmap_parse(const char *name, const void *data, size_t len, struct img_bmap **ret, char *err, size_t errlen);
void img_bmap_free(struct img_bmap *b);
static inline void img_bmap_freep(struct img_bmap **p) {
        if (*p)
                img_bmap_free(*p);
}
#define _cleanup_img_bmap_ __attribute__((cleanup(img_bmap_freep)))

static inline uint64_t img_bmap_mapped_bytes(const struct img_bmap *b) {
        /* the last block may be short when ImageSize is not a multiple */
        uint64_t bytes = 0;
        for (size_t i = 0; i < b->n_ranges; i++) {
                uint64_t start = b->ranges[i].first * b->block_size;
                uint64_t end = (b->ranges[i].last + 1) * b->block_size;
                if (end > b->image_size)
                        end = b->image_size;
                bytes += end - start;
        }
        return bytes;
}
