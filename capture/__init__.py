"""Page captures: everything between "bytes arrived" and "image stored".

Size limits, safe decoding, metadata stripping, re-encoding, thumbnails and
blob storage live here (see DESIGN.md, "capture/").
"""
