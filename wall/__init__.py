"""The NOC wall screen: full-screen panels that rotate and refresh themselves."""
