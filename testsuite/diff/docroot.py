"""The site root both servers serve from in the file_server configurations:
a fixed tree (index files, every common extension, nested and index-less
directories, odd names, symlinks inside and outside the root) with one fixed
modification time, so ETag and Last-Modified are comparable across runs."""
import gzip
import os

MTIME = 1700000000          # 2023-11-14T22:13:20Z, any fixed instant will do

FILES = {
    "index.html": "<h1>home</h1>\n",
    "style.css": "body { color: red }\n",
    "app.js": "console.log('hi');\n",
    "data.json": '{"a": 1}\n',
    "doc.txt": "plain text\n",
    "page.htm": "<p>htm</p>\n",
    "feed.xml": "<?xml version=\"1.0\"?><feed/>\n",
    "pic.svg": "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    "image.png": "\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    "photo.jpg": "\xff\xd8\xff\xe0\0\x10JFIF\0",
    "anim.gif": "GIF89a\x01\0\x01\0",
    "font.woff2": "wOF2\0\x01\0\0",
    "doc.pdf": "%PDF-1.4\n",
    "clip.wasm": "\0asm\x01\0\0\0",
    "README": "no extension here\n",
    "UPPER.HTML": "<p>upper</p>\n",
    "data.unknownext": "what am I\n",
    "code.rs": "fn main() {}\n",
    "run.sh": "echo hi\n",
    "prog.C": "int main;\n",
    "prog.c": "int main;\n",
    "arch.tgz": "\x1f\x8b",
    "site.webmanifest": "{}\n",
    "notes.md": "# notes\n",
    "icon.ico": "\0\0\x01\0",
    "movie.MP4": "\0\0\0\x18ftyp",
    "empty.txt": "",
    "with space.txt": "spaced\n",
    "caf\u00e9.txt": "accent\n",
    "semi;colon.txt": "semicolon\n",
    ".hidden": "dotfile\n",
    "sub/index.html": "<h1>sub</h1>\n",
    "sub/page.html": "<p>sub page</p>\n",
    "sub/deep/leaf.txt": "leaf\n",
    "noindex/file.txt": "in a dir without index\n",
    "txtindex/index.txt": "text index\n",
    "home/home.html": "<p>custom index</p>\n",
    "home/index.html": "<p>default index</p>\n",
    "list/b.txt": "bbb",
    "list/A.md": "# a heading",
    "list/c d.txt": "c",
    "list/x&y<z>.txt": "xyz\n",
    "list/sub2/inner.txt": "inner\n",
    "list/secret.key": "hidden by the hide list\n",
    # encode: text long enough to be compressed (minimum_length 512), and an image that is not
    "enc/long.txt": "".join("line %d of a text that compresses well\n" % i for i in range(400)),
    "enc/long.html": "<p>" + "markup " * 300 + "</p>\n",
    "enc/long.png": "\x89PNG\r\n\x1a\n" + "\0" * 2000,
}
# precompressed sidecars (binary, kept as latin-1 text like the files above)
FILES["enc/long.txt.gz"] = gzip.compress(FILES["enc/long.txt"].encode(), mtime=0).decode("latin-1")
FILES["enc/long.html.gz"] = gzip.compress(FILES["enc/long.html"].encode(), mtime=0).decode("latin-1")
FILES["enc/long.html.br"] = "not really brotli, served as the br sidecar\n"
FILES["enc/dir.txt.gz/x"] = "a directory where a sidecar would be\n"
FILES["enc/dir.txt"] = "the sidecar is a directory: this file answers\n"


def build(top):
    """Creates TOP/www (the root) and TOP/outside.txt; returns the root."""
    root = os.path.join(top, "www")
    for rel, text in FILES.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(text.encode("latin-1") if rel != "caf\u00e9.txt" else text.encode())
    outside = os.path.join(top, "outside.txt")
    with open(outside, "w") as f:
        f.write("outside the root\n")
    os.symlink("doc.txt", os.path.join(root, "link-in.txt"))
    os.symlink(outside, os.path.join(root, "link-out.txt"))
    os.symlink("b.txt", os.path.join(root, "list", "link-b.txt"))
    os.symlink("sub2", os.path.join(root, "list", "link-dir"))
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames + dirnames:
            os.utime(os.path.join(dirpath, name), (MTIME, MTIME), follow_symlinks=False)
    os.utime(outside, (MTIME, MTIME))
    os.utime(root, (MTIME, MTIME))
    return root
