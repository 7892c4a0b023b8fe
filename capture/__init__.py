"""Page captures: everything between "bytes arrived" and "image stored".

Size limits, safe decoding, metadata stripping, re-encoding and thumbnails
live here (docs/ARCHITECTURE.md, "Captures"): ``ingest`` turns untrusted bytes
into a re-encoded image and its thumbnail, or an ``ImageRefused``;
``ingest_pool`` runs that in worker processes with a bounded queue. Nothing
here knows of HTTP or the database: server/meetings/captures.py answers the
guest and stores the bytes through server/storage/blobs.py.
"""
