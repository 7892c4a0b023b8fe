"""Page captures: everything between "bytes arrived" and "image stored".

Size limits, safe decoding, metadata stripping, re-encoding and thumbnails
live here (see DESIGN.md, "capture/"); the bytes are kept by server/blobs.py.
"""
