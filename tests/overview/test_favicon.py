"""Every page names an icon, and /favicon.ico (which browsers ask for anyway) answers."""


def test_favicon_ico_answers_with_an_icon(client, db):
    response = client.get("/favicon.ico", follow=True)

    response.close()  # a file response: its file is open until then

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")


def test_every_page_links_its_icon(client_of, noc):
    content = client_of(noc).get("/").content.decode()

    assert '<link rel="icon"' in content
